/** The shared scenario table (table.ts) against the gateway on Node. The Worker run: test/worker/scenarios.test.ts. */
import { defineScenarioSuite } from './table';

defineScenarioSuite('node');
