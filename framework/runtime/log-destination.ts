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
    const data = this.pending;
    this.pending = '';
    this.out.write(data);
  }

  private readonly flushAtTurnEnd = (): void => {
    this.scheduled = false;
    this.flush();
  };
}
