/**
 * The Node log sink: lines are collected for up to 50 ms (or 256 KB) and written with one
 * asynchronous fs.write on stdout (info, debug) or stderr (warn, error), so a request never waits on
 * a write syscall (stdout to a pipe or file is synchronous in Node) and a busy gateway makes one
 * write per batch rather than one per line. Bounded: past `maxBufferedBytes` lines
 * are dropped and counted, and the count is written with the next batch. Whatever is still buffered
 * at exit is written synchronously.
 */
import { write, writeSync } from 'node:fs';
import type { LogLevel } from '../log';

export interface BatchedSinkOptions {
  stdoutFd?: number;
  stderrFd?: number;
  maxBufferedBytes?: number;
}

export function createBatchedSink(o: BatchedSinkOptions = {}): (line: string, level: LogLevel) => void {
  const out = new BatchedFd(o.stdoutFd ?? 1, o.maxBufferedBytes ?? 8 * 1024 * 1024);
  const err = new BatchedFd(o.stderrFd ?? 2, o.maxBufferedBytes ?? 8 * 1024 * 1024);
  process.once('exit', () => {
    out.flushSync();
    err.flushSync();
  });
  return (line, level) => (level === 'warn' || level === 'error' ? err : out).push(line);
}

// Each batch is one write handed to libuv's thread pool; at a few thousand requests per second,
// 50 ms batches keep that to ~20 writes a second, and a line is still out well within a second.
const FLUSH_MS = 50;
const FLUSH_BYTES = 256 * 1024;

class BatchedFd {
  private lines: string[] = [];
  private bytes = 0;
  private dropped = 0;
  private scheduled = false;
  private writing = false;

  constructor(
    private readonly fd: number,
    private readonly max: number,
  ) {}

  push(line: string): void {
    if (this.bytes + line.length > this.max) {
      this.dropped++;
      return;
    }
    this.lines.push(line);
    this.bytes += line.length + 1;
    if (this.writing) return;
    if (this.bytes >= FLUSH_BYTES) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      // Unref'd: a pending batch never keeps the process alive; the exit hook writes it.
      setTimeout(() => this.flush(), FLUSH_MS).unref();
    }
  }

  private take(): string {
    if (this.dropped > 0) {
      this.lines.push(JSON.stringify({ time: new Date().toISOString(), level: 'warn', msg: 'log lines dropped (output too slow)', dropped: this.dropped }));
      this.dropped = 0;
    }
    const text = `${this.lines.join('\n')}\n`;
    this.lines = [];
    this.bytes = 0;
    return text;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.writing || this.lines.length === 0) return;
    this.writing = true;
    const buf = Buffer.from(this.take());
    const writeFrom = (offset: number) => {
      write(this.fd, buf, offset, buf.length - offset, null, (e, n) => {
        if (!e && offset + n < buf.length) return writeFrom(offset + n);
        this.writing = false;
        if (this.lines.length > 0) this.flush();
      });
    };
    writeFrom(0);
  }

  flushSync(): void {
    if (this.lines.length === 0) return;
    try {
      writeSync(this.fd, this.take());
    } catch {
      // stdout gone (closed pipe): nothing left to tell.
    }
  }
}
