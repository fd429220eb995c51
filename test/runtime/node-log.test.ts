/**
 * The Node log sink batches lines into asynchronous writes: every line arrives, in order, after the
 * current event-loop turn (not during it), and a flood beyond the buffer bound is dropped and
 * counted rather than growing memory without end.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync } from 'node:fs';
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

  it('keeps every byte of multi-byte, chunk-sized and many-batch output, in order', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cgw-log-')), 'out.log');
    const fd = openSync(file, 'w');
    const sink = createBatchedSink({ stdoutFd: fd, stderrFd: fd });
    // Lines of 1-, 2-, 3- and 4-byte characters, one line longer than a 64 KB chunk, and over a
    // megabyte in all (several 256 KB batches, written while later lines keep arriving).
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ i, text: `é€😀-${'x'.repeat(i % 700)}` }));
    lines.splice(1500, 0, JSON.stringify({ big: 'ü'.repeat(70_000) }));
    for (const l of lines) sink(l, 'info');
    const got = await settle(file, lines.length);
    expect(got).toEqual(lines);
    closeSync(fd);
  });

  it('waits and writes again when a non-blocking output is full, losing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cgw-log-'));
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    // Both ends non-blocking: nobody reads until the pipe (64 KB on Linux) has been full for a while.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const sink = createBatchedSink({ stdoutFd: writer, stderrFd: writer });
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ i, pad: 'y'.repeat(200) }));
    for (const l of lines) sink(l, 'info');
    await new Promise((r) => setTimeout(r, 300));
    const chunks: Buffer[] = [];
    const until = Date.now() + 5000;
    let text = '';
    while (text.split('\n').length <= lines.length && Date.now() < until) {
      const buf = Buffer.alloc(65536);
      let n = 0;
      try {
        n = readSync(reader, buf);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
      if (n > 0) chunks.push(buf.subarray(0, n));
      else await new Promise((r) => setTimeout(r, 5));
      text = Buffer.concat(chunks).toString('utf8');
    }
    expect(text.split('\n').filter(Boolean)).toEqual(lines);
    closeSync(writer);
    closeSync(reader);
  });
});
