/**
 * Reads training channels from disk the way SageMaker lays them out: File mode puts every S3
 * object of a channel under input/data/<channel>/ (nested folders, .gz allowed); Pipe mode gives a
 * FIFO input/data/<channel>_<epoch>. Every file is strict UTF-8 CSV with a header.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { getHeapStatistics } from 'node:v8';
import { createGunzip } from 'node:zlib';
import type { ChannelReader } from '../contract/algorithm.js';
import type { InputRecord, Table } from '../contract/records.js';
import { TrainingAbortedError, TrainingError } from '../contract/errors.js';
import { makeRecord } from '../codecs/codec.js';
import { csvHeaderProblem } from '../codecs/csv-dialect.js';
import { CsvReadError, readCsv } from '../codecs/csv-stream.js';
import type { ChannelConfig } from '../ml-root/job-config.js';
import type { SageMakerPaths } from '../ml-root/paths.js';

/** Files that object stores and operating systems leave behind; never data. */
function isJunkFile(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_') || name === 'Thumbs.db' || name.endsWith('.crc');
}

/**
 * Bounds on what one channel may hold, so that a gzip bomb or a runaway upload ends in a clear
 * failure instead of an out-of-memory kill (which writes no output/failure). The defaults are far
 * beyond a job that fits in memory at all.
 */
export interface ChannelLimits {
  /** Most CSV bytes per channel, after decompression (config training.maxChannelMb). */
  maxBytes: number;
  /** Most data rows per channel (training.maxChannelRows). */
  maxRows: number;
  /**
   * Reading stops once the heap holds more than this share of V8's heap limit (training.maxTableHeapShare),
   * checked after every batch of rows: the table in memory, measured, where an estimate from bytes or
   * rows would miss wide or text-heavy rows. Well before the limit, so the failure is still written.
   */
  maxHeapShare: number;
}

export const DEFAULT_CHANNEL_LIMITS: Readonly<ChannelLimits> = Object.freeze({ maxBytes: 16384 * 1024 * 1024, maxRows: 50_000_000, maxHeapShare: 0.7 });

export interface ChannelReadOptions {
  limits?: Partial<ChannelLimits>;
  /** The job's SIGTERM signal: a read in progress stops with TrainingAbortedError. */
  signal?: AbortSignal;
}

/** The accounting of one readTable call, shared by the files of the channel. */
interface ReadBudget {
  channel: string;
  limits: ChannelLimits;
  signal: AbortSignal | undefined;
  bytes: number;
  rows: number;
  heapAllowed: number;
}

const MB = 1024 * 1024;

export class FileChannelReader implements ChannelReader {
  private readonly limits: ChannelLimits;
  private readonly signal: AbortSignal | undefined;

  constructor(
    private readonly paths: SageMakerPaths,
    private readonly inputDataConfig: Record<string, ChannelConfig>,
    private readonly presentFolders: string[],
    options: ChannelReadOptions = {},
  ) {
    this.limits = { ...DEFAULT_CHANNEL_LIMITS, ...options.limits };
    this.signal = options.signal;
  }

  /** Lists the channel folders present under input/data so that `names()` can stay synchronous. */
  static async open(paths: SageMakerPaths, inputDataConfig: Record<string, ChannelConfig>, options: ChannelReadOptions = {}): Promise<FileChannelReader> {
    let folders: string[] = [];
    try {
      const entries = await readdir(paths.dataDir, { withFileTypes: true });
      folders = entries.filter((e) => e.isDirectory() && !isJunkFile(e.name)).map((e) => e.name);
    } catch {
      folders = [];
    }
    return new FileChannelReader(paths, inputDataConfig, folders, options);
  }

  names(): string[] {
    return [...new Set([...Object.keys(this.inputDataConfig), ...this.presentFolders])].sort();
  }

  has(channel: string): boolean {
    return this.names().includes(channel);
  }

  private isPipe(channel: string): boolean {
    return this.inputDataConfig[channel]?.TrainingInputMode === 'Pipe';
  }

  async files(channel: string): Promise<string[]> {
    if (this.isPipe(channel)) return [`${channel}_0`];
    const root = this.paths.channelDir(channel);
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true });
      for (const entry of entries) {
        if (isJunkFile(entry.name)) continue;
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), rel);
        else if (entry.isFile()) out.push(rel);
      }
    };
    try {
      await walk(root, '');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new TrainingError(
          `channel "${channel}" not found: ${root} does not exist (channels present: ${this.names().join(', ') || 'none'}); ` +
            'check the channel name and its S3 prefix in the training job',
        );
      }
      throw error;
    }
    return out.sort();
  }

  async readTable(channel: string): Promise<Table> {
    const files = await this.files(channel);
    const root = this.isPipe(channel) ? this.paths.dataDir : this.paths.channelDir(channel);
    let columns: string[] | undefined;
    let firstFile = '';
    const records: InputRecord[] = [];
    let nonEmptyFiles = 0;
    const budget: ReadBudget = {
      channel,
      limits: this.limits,
      signal: this.signal,
      bytes: 0,
      rows: 0,
      heapAllowed: getHeapStatistics().heap_size_limit * this.limits.maxHeapShare,
    };
    for (const rel of files) {
      checkAborted(budget.signal);
      const file = path.join(root, rel);
      if (!this.isPipe(channel) && (await stat(file)).size === 0) continue;
      nonEmptyFiles += 1;
      const table = await readCsvFile(file, rel, !this.isPipe(channel), budget);
      if (!table) continue;
      if (!columns) {
        columns = table.columns;
        firstFile = rel;
      } else if (!sameColumnSet(columns, table.columns)) {
        throw new TrainingError(
          `channel "${channel}": file ${rel} has columns [${table.columns.join(', ')}] but ${firstFile} has [${columns.join(', ')}]; all files of a channel must share one header`,
        );
      }
      for (const record of table.records) records.push(record);
    }
    if (nonEmptyFiles === 0) {
      throw new TrainingError(
        `channel "${channel}" is empty: no data files under ${root}. Likely causes: a wrong S3 prefix for the channel, or the training role cannot read the objects`,
      );
    }
    if (!columns || records.length === 0) {
      throw new TrainingError(`channel "${channel}" has a header but no data rows (${files.join(', ')})`);
    }
    return { columns, records };
  }
}

function sameColumnSet(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((c) => set.has(c));
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof TrainingAbortedError ? signal.reason : new TrainingAbortedError();
}

/** Thrown from inside the byte stream: the channel holds more text than allowed. */
class ByteLimitError extends Error {}

/** The file's bytes as they reach the CSV reader, counted against the channel's limit; stops on abort. */
async function* metered(bytes: AsyncIterable<Uint8Array>, budget: ReadBudget): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const chunk of bytes) {
    checkAborted(budget.signal);
    budget.bytes += chunk.length;
    if (budget.bytes > budget.limits.maxBytes) throw new ByteLimitError();
    yield chunk;
  }
}

function limitText(mb: number): string {
  return mb >= 1024 && mb % 1024 === 0 ? `${mb} MB (${mb / 1024} GiB)` : `${mb} MB`;
}

function byteLimitProblem(label: string, budget: ReadBudget): TrainingError {
  const mb = Math.round((budget.limits.maxBytes / MB) * 1000) / 1000;
  return new TrainingError(
    `channel "${budget.channel}": file ${label}: the channel holds more than ${limitText(mb)} of CSV text (decompressed), the limit per channel ` +
      '(a compressed file that inflates this far is likely a mistake); raise config key training.maxChannelMb (env BYOC_MAX_CHANNEL_MB) if the data is meant to be this large',
  );
}

function rowLimitProblem(label: string, budget: ReadBudget): TrainingError {
  return new TrainingError(
    `channel "${budget.channel}": file ${label}: the channel holds more than ${budget.limits.maxRows} data rows, the limit per channel; ` +
      'raise config key training.maxChannelRows (env BYOC_MAX_CHANNEL_ROWS) if the data is meant to be this large',
  );
}

function heapLimitProblem(label: string, budget: ReadBudget, used: number): TrainingError {
  const limit = getHeapStatistics().heap_size_limit;
  return new TrainingError(
    `channel "${budget.channel}": file ${label}: after ${budget.rows} rows the heap holds ${Math.round(used / MB)} MB, more than ` +
      `${budget.limits.maxHeapShare} of the heap limit (${Math.round(limit / MB)} MB), so the table does not fit in memory; use an instance with more memory ` +
      'and raise the heap limit (NODE_OPTIONS=--max-old-space-size=MB), or raise config key training.maxTableHeapShare (env BYOC_MAX_TABLE_HEAP_SHARE), or train on less data',
  );
}

/** Reads one CSV file (gzip by magic bytes or `.gz`); undefined for a file without any line. */
async function readCsvFile(file: string, label: string, canPeek: boolean, budget: ReadBudget): Promise<Table | undefined> {
  // A FIFO (Pipe mode) cannot be peeked at without losing bytes: rely on the extension there.
  const gz = file.endsWith('.gz') || (canPeek && (await hasGzipMagic(file)));
  // pipeline() destroys both streams on an error in either, and passes it on to whoever reads.
  const bytes: Readable = gz ? pipeline(createReadStream(file), createGunzip(), () => {}) : createReadStream(file);
  let header: string[] | undefined;
  const records: InputRecord[] = [];
  try {
    // Blank lines are skipped, also before the header; a line holding only "" is a row.
    for await (const batch of readCsv(metered(bytes, budget), { source: label, blankLines: 'skip' })) {
      checkAborted(budget.signal);
      const rows = batch.rows;
      let i = 0;
      if (!header) {
        header = rows[0]!.map((h) => h.trim());
        const problem = csvHeaderProblem(header);
        if (problem) throw new TrainingError(`file ${label}: ${problem}`);
        i = 1;
      }
      if (budget.rows + (rows.length - i) > budget.limits.maxRows) throw rowLimitProblem(label, budget);
      budget.rows += rows.length - i;
      for (; i < rows.length; i++) {
        const row = rows[i]!;
        if (row.length !== header.length) {
          throw new TrainingError(`file ${label}, line ${batch.lineOf(i)}: ${row.length} fields, but the header has ${header.length} (${header.join(', ')})`);
        }
        // makeRecord, not assignment: a column named "__proto__" must stay a plain key, not be dropped.
        records.push(makeRecord(header, row));
      }
      const used = getHeapStatistics().used_heap_size;
      if (used > budget.heapAllowed) throw heapLimitProblem(label, budget, used);
    }
  } catch (error) {
    bytes.destroy();
    if (error instanceof TrainingError || error instanceof TrainingAbortedError) throw error;
    if (error instanceof ByteLimitError) throw byteLimitProblem(label, budget);
    if (error instanceof CsvReadError) throw csvReadProblem(label, error);
    const message = (error as Error).message;
    if (gz && /unexpected end of file|incorrect header check|invalid/i.test(message)) {
      throw new TrainingError(`file ${label} is not a complete gzip file (${message}); re-upload it`);
    }
    throw new TrainingError(`file ${label} is not valid CSV: ${message}`);
  }
  if (!header) return undefined;
  return { columns: header, records };
}

function csvReadProblem(label: string, error: CsvReadError): TrainingError {
  switch (error.problem) {
    case 'InvalidUtf8':
      return new TrainingError(`file ${label} is not UTF-8 text (line ${error.line}: ${error.reason}); save it as UTF-8 CSV`);
    case 'TruncatedUtf8':
      return new TrainingError(`file ${label} ends in the middle of a UTF-8 character`);
    default:
      return new TrainingError(`file ${label} is not valid CSV (${error.title}): line ${error.line}: ${error.reason}`);
  }
}

async function hasGzipMagic(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await handle.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await handle.close();
  }
}
