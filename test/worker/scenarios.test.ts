/**
 * The shared scenario table (test/scenarios/table.ts) against the real Worker bundle in workerd.
 * The Node run of the same table: test/scenarios/node.test.ts.
 */
import { inject } from 'vitest';
import { defineScenarioSuite } from '../scenarios/table';

defineScenarioSuite('worker', () => ({ bundleDir: inject('workerBundleDir') }));
