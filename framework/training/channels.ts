/**
 * Reads training channels from disk the way SageMaker lays them out: File mode puts every S3
 * object of a channel under input/data/<channel>/ (nested folders, .gz allowed); Pipe mode gives a
 * FIFO input/data/<channel>_<epoch>. Every file is strict UTF-8 CSV with a header.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import type { ChannelReader } from '../contract/algorithm.js';
import type { InputRecord, Table } from '../contract/records.js';
import { TrainingError } from '../contract/errors.js';
import { makeRecord } from '../codecs/codec.js';
import type { ChannelConfig } from '../ml-root/job-config.js';
import type { SageMakerPaths } from '../ml-root/paths.js';

/** Files that object stores and operating systems leave behind; never data. */
function isJunkFile(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_') || name === 'Thumbs.db' || name.endsWith('.crc');
}

/** Fails on the first byte sequence that is not UTF-8, instead of turning it into U+FFFD silently. */
class StrictUtf8 extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private offset = 0;
  constructor(private readonly file: string) {
    super({ decodeStrings: true, readableObjectMode: false });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null, data?: string) => void): void {
    try {
      const text = this.decoder.decode(chunk, { stream: true });
      this.offset += chunk.length;
      done(null, text);
    } catch {
      done(
        new TrainingError(
          `file ${this.file} is not UTF-8 text (invalid bytes within the first ${this.offset + chunk.length} bytes); save it as UTF-8 CSV`,
        ),
      );
    }
  }
  override _flush(done: (error?: Error | null, data?: string) => void): void {
    try {
      done(null, this.decoder.decode());
    } catch {
      done(new TrainingError(`file ${this.file} ends in the middle of a UTF-8 character`));
    }
  }
}

export class FileChannelReader implements ChannelReader {
  constructor(
    private readonly paths: SageMakerPaths,
    private readonly inputDataConfig: Record<string, ChannelConfig>,
    private readonly presentFolders: string[],
  ) {}

  /** Lists the channel folders present under input/data so that `names()` can stay synchronous. */
  static async open(paths: SageMakerPaths, inputDataConfig: Record<string, ChannelConfig>): Promise<FileChannelReader> {
    let folders: string[] = [];
    try {
      const entries = await readdir(paths.dataDir, { withFileTypes: true });
      folders = entries.filter((e) => e.isDirectory() && !isJunkFile(e.name)).map((e) => e.name);
    } catch {
      folders = [];
    }
    return new FileChannelReader(paths, inputDataConfig, folders);
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
    for (const rel of files) {
      const file = path.join(root, rel);
      if (!this.isPipe(channel) && (await stat(file)).size === 0) continue;
      nonEmptyFiles += 1;
      const table = await readCsvFile(file, rel, !this.isPipe(channel));
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

/** Reads one CSV file (gzip by magic bytes or `.gz`); undefined for a file without any line. */
async function readCsvFile(file: string, label: string, canPeek: boolean): Promise<Table | undefined> {
  // A FIFO (Pipe mode) cannot be peeked at without losing bytes: rely on the extension there.
  const gz = file.endsWith('.gz') || (canPeek && (await hasGzipMagic(file)));
  const source: Readable = createReadStream(file);
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream> = [source];
  if (gz) stages.push(createGunzip());
  stages.push(new StrictUtf8(label));
  // relax_column_count: ragged rows reach our own check below, whose message names the header.
  const parser = parse({ bom: true, relax_quotes: false, skip_empty_lines: true, relax_column_count: true });
  stages.push(parser);
  let header: string[] | undefined;
  const records: InputRecord[] = [];
  const collect = new Transform({
    objectMode: true,
    transform(row: string[], _enc, done) {
      if (!header) {
        header = row.map((h) => h.trim());
        const problem = headerProblem(header);
        if (problem) return done(new TrainingError(`file ${label}: ${problem}`));
        return done();
      }
      if (row.length !== header.length) {
        return done(
          new TrainingError(
            `file ${label}, line ${parser.info.lines}: ${row.length} fields, but the header has ${header.length} (${header.join(', ')})`,
          ),
        );
      }
      // makeRecord, not assignment: a column named "__proto__" must stay a plain key, not be dropped.
      records.push(makeRecord(header, row));
      done();
    },
  });
  stages.push(collect);
  try {
    await (pipeline as (...streams: unknown[]) => Promise<void>)(...stages);
  } catch (error) {
    if (error instanceof TrainingError) throw error;
    const message = (error as Error).message;
    if (gz && /unexpected end of file|incorrect header check|invalid/i.test(message)) {
      throw new TrainingError(`file ${label} is not a complete gzip file (${message}); re-upload it`);
    }
    throw new TrainingError(`file ${label} is not valid CSV: ${message}`);
  }
  if (!header) return undefined;
  return { columns: header, records };
}

function headerProblem(header: string[]): string | undefined {
  const empty = header.map((h, i) => (h === '' ? i + 1 : 0)).filter((i) => i > 0);
  if (empty.length > 0) return `the header has empty column names at position(s) ${empty.join(', ')}`;
  const seen = new Set<string>();
  const dupes = new Set<string>();
  for (const h of header) (seen.has(h) ? dupes : seen).add(h);
  if (dupes.size > 0) return `the header repeats column name(s) ${[...dupes].map((d) => `"${d}"`).join(', ')}`;
  return undefined;
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
