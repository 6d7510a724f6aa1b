/**
 * Where log lines go: stdout, the lines of one turn of the event loop together in one write at the
 * end of that turn. Under load that is one write for many access-log lines, made on the main thread
 * through Node's own stdout (synchronous for files and pipes on Linux). The asynchronous writer used
 * before (sonic-boom) handed every batch to libuv's thread pool, and waking a pool thread per batch
 * cost more than the write: 10-15% of a small request's CPU, measured side by side.
 */
import type { Writable } from 'node:stream';

/** A batch above this many characters is written at once instead of at the end of the turn. */
const MAX_PENDING_CHARS = 1 << 16;
/**
 * PIPE_BUF on Linux: a pipe keeps a write of at most this many bytes whole. The cluster's processes
 * share stdout (under SageMaker a pipe), so each write is cut at a line end within this size, and
 * lines of different workers never interleave mid-line.
 */
const ATOMIC_WRITE_BYTES = 4096;

export class TurnBatchedWriter {
  private pending = '';
  private scheduled = false;

  constructor(private readonly out: Writable) {
    // A reader that went away (EPIPE) or a full disk leaves nowhere to report to; an unhandled
    // 'error' event would kill a server that is otherwise fine.
    out.on('error', () => undefined);
  }

  /** pino's destination interface: one serialised line, newline included. */
  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= MAX_PENDING_CHARS) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushAtTurnEnd);
    }
  }

  /** Writes what is pending now (also before the process exits: stdout writes are synchronous). */
  flush(): void {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    // Most batches fit one atomic write (a UTF-8 byte is at most 3 per UTF-16 unit here).
    if (text.length * 3 <= ATOMIC_WRITE_BYTES) {
      this.out.write(text);
      return;
    }
    const data = Buffer.from(text, 'utf8');
    let start = 0;
    while (data.length - start > ATOMIC_WRITE_BYTES) {
      let end = data.lastIndexOf(0x0a, start + ATOMIC_WRITE_BYTES - 1);
      // A line longer than that goes whole, alone.
      if (end < start) end = data.indexOf(0x0a, start + ATOMIC_WRITE_BYTES);
      if (end < 0) break;
      this.out.write(data.subarray(start, end + 1));
      start = end + 1;
    }
    if (start < data.length) this.out.write(data.subarray(start));
  }

  private readonly flushAtTurnEnd = (): void => {
    this.scheduled = false;
    this.flush();
  };
}
