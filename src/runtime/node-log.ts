/**
 * The Node log sink: lines are collected for up to 50 ms (or 256 KB) and written with one
 * asynchronous fs.writev on stdout (info, debug) or stderr (warn, error), so a request never waits on
 * a write syscall (stdout to a pipe or file is synchronous in Node) and a busy gateway makes one
 * write per batch rather than one per line. Bounded: past `maxBufferedBytes` lines
 * are dropped and counted, and the count is written with the next batch. Whatever is still buffered
 * at exit, a batch waiting to retry after EAGAIN included, is written synchronously (a batch whose
 * write is in flight at exit is the one thing that can be cut).
 *
 * Each line is UTF-8-encoded into a reused 64 KB chunk as it arrives, so the line's string dies
 * young: held for 50 ms in an array, every line outlived a scavenge or two and was promoted to V8's
 * old space (the biggest share of what full GCs had to clean up under load), and the batch was
 * copied twice more (join, then Buffer.from).
 */
import { writev, writeSync } from 'node:fs';
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
const CHUNK_BYTES = 64 * 1024;
// Chunks kept for reuse once written: one full batch's worth, so a steady load allocates none.
const SPARE_CHUNKS = FLUSH_BYTES / CHUNK_BYTES + 1;
// A non-blocking stdout (a pipe some other code opened as a stream) that is full: try again soon.
const RETRY_MS = 10;
const NEWLINE = 0x0a;

interface Chunk {
  buf: Buffer;
  used: number;
}

class BatchedFd {
  /** Chunks filled and not yet handed to a write, oldest first; the last one is being filled. */
  private chunks: Chunk[] = [];
  private bytes = 0;
  private spare: Buffer[] = [];
  private dropped = 0;
  private scheduled = false;
  private writing = false;
  /** The rest of a batch that got EAGAIN, until its retry (nothing of it is in flight meanwhile). */
  private waiting?: Buffer[];

  constructor(
    private readonly fd: number,
    private readonly max: number,
  ) {}

  push(line: string): void {
    // line.length bounds the UTF-8 size from below (exact for ASCII, which JSON lines mostly are).
    if (this.bytes + line.length + 1 > this.max) {
      this.dropped++;
      return;
    }
    this.append(line);
    if (this.writing) return;
    if (this.bytes >= FLUSH_BYTES) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      // Unref'd: a pending batch never keeps the process alive; the exit hook writes it.
      setTimeout(() => this.flush(), FLUSH_MS).unref();
    }
  }

  /** Encodes the line and its newline at the end of the last chunk, or in a new one. */
  private append(line: string): void {
    let last = this.chunks[this.chunks.length - 1];
    let room = last ? last.buf.length - last.used : 0;
    // Three bytes per UTF-16 unit is UTF-8's worst case; only a line that might not fit is measured.
    if (line.length * 3 + 1 > room) {
      const size = Buffer.byteLength(line) + 1;
      if (size > room) {
        last = { buf: size > CHUNK_BYTES ? Buffer.allocUnsafeSlow(size) : (this.spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES)), used: 0 };
        this.chunks.push(last);
        room = last.buf.length;
      }
    }
    const n = last!.buf.write(line, last!.used);
    last!.buf[last!.used + n] = NEWLINE;
    last!.used += n + 1;
    this.bytes += n + 1;
  }

  /** Everything buffered (and the drop count, if any), taken out of the buffer for one write. */
  private take(): Chunk[] {
    if (this.dropped > 0) {
      this.append(JSON.stringify({ time: new Date().toISOString(), level: 'warn', msg: 'log lines dropped (output too slow)', dropped: this.dropped }));
      this.dropped = 0;
    }
    const batch = this.chunks;
    this.chunks = [];
    this.bytes = 0;
    return batch;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.writing || (this.chunks.length === 0 && this.dropped === 0)) return;
    this.writing = true;
    const batch = this.take();
    let views = batch.map((c) => c.buf.subarray(0, c.used));
    const writeRest = () => {
      writev(this.fd, views, null, (e, n) => {
        if (!e) views = after(views, n);
        if (e?.code === 'EAGAIN') {
          // Nothing is in flight while it waits: the exit hook may write these itself.
          this.waiting = views;
          return void setTimeout(() => {
            if (this.waiting === undefined) return; // written by flushSync at exit
            this.waiting = undefined;
            writeRest();
          }, RETRY_MS).unref();
        }
        // Any other error (a closed pipe): the batch is lost, as a line to a dead stdout would be.
        if (!e && views.length > 0) return writeRest();
        this.writing = false;
        for (const c of batch) if (c.buf.length === CHUNK_BYTES && this.spare.length < SPARE_CHUNKS) this.spare.push(c.buf);
        if (this.bytes >= FLUSH_BYTES) this.flush();
        else if (this.bytes > 0 && !this.scheduled) {
          this.scheduled = true;
          setTimeout(() => this.flush(), FLUSH_MS).unref();
        }
      });
    };
    writeRest();
  }

  flushSync(): void {
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    if (waiting.length === 0 && this.chunks.length === 0 && this.dropped === 0) return;
    try {
      // A batch waiting to retry after EAGAIN goes first, so lines keep their order.
      for (const v of waiting) writeSync(this.fd, v, 0, v.length);
      for (const c of this.take()) writeSync(this.fd, c.buf, 0, c.used);
    } catch {
      // stdout gone (closed pipe): nothing left to tell.
    }
  }
}

/** The views left to write once `written` bytes of them are out. */
function after(views: Buffer[], written: number): Buffer[] {
  let i = 0;
  while (i < views.length && written >= views[i]!.length) written -= views[i++]!.length;
  if (i === views.length) return [];
  return [views[i]!.subarray(written), ...views.slice(i + 1)];
}
