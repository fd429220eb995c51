/**
 * The process-level V8 settings `serve` applies to every gateway process, and that node's own
 * command line wins over them.
 */
import { describe, expect, it } from 'vitest';
import { PROCESS_V8_FLAGS, processV8FlagsFor } from '../../src/cli/serve';

describe('serve process settings', () => {
  it('caps the old generation growth at 1.5× by default', () => {
    expect(PROCESS_V8_FLAGS).toEqual(['--heap-growing-percent=50']);
    expect(processV8FlagsFor([])).toEqual(['--heap-growing-percent=50']);
    expect(processV8FlagsFor(['--max-semi-space-size=8', '--enable-source-maps'])).toEqual(['--heap-growing-percent=50']);
  });

  it('leaves a flag that node was started with alone, in either spelling', () => {
    expect(processV8FlagsFor(['--heap-growing-percent=100'])).toEqual([]);
    expect(processV8FlagsFor(['--heap_growing_percent=0'])).toEqual([]);
  });
});
