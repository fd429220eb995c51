/**
 * The Node log sink batches lines into asynchronous writes: every line arrives, in order, after the
 * current event-loop turn (not during it), and a flood beyond the buffer bound is dropped and
 * counted rather than growing memory without end.
 */
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBatchedSink } from '../../src/runtime/node-log';

async function settle(file: string, lines: number): Promise<string[]> {
  const until = Date.now() + 5000;
  for (;;) {
    const text = readFileSync(file, 'utf8');
    const got = text.split('\n').filter(Boolean);
    if (got.length >= lines || Date.now() > until) return got;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('batched log sink', () => {
  it('writes nothing during the turn, then every line in order', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cgw-log-')), 'out.log');
    const fd = openSync(file, 'w');
    const sink = createBatchedSink({ stdoutFd: fd, stderrFd: fd });
    for (let i = 0; i < 1000; i++) sink(JSON.stringify({ i }), 'info');
    expect(readFileSync(file, 'utf8')).toBe('');
    const got = await settle(file, 1000);
    expect(got.map((l) => JSON.parse(l).i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    closeSync(fd);
  });

  it('drops lines past the buffer bound and says how many', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cgw-log-')), 'out.log');
    const fd = openSync(file, 'w');
    const sink = createBatchedSink({ stdoutFd: fd, stderrFd: fd, maxBufferedBytes: 100 });
    for (let i = 0; i < 10; i++) sink('x'.repeat(40), 'info');
    const got = await settle(file, 3);
    expect(got.slice(0, 2)).toEqual(['x'.repeat(40), 'x'.repeat(40)]);
    expect(JSON.parse(got[2]!)).toMatchObject({ msg: 'log lines dropped (output too slow)', dropped: 8 });
    closeSync(fd);
  });
});
