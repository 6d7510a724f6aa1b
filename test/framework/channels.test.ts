import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { TrainingAbortedError, TrainingError } from '../../framework/contract/errors.js';
import type { ChannelConfig } from '../../framework/ml-root/job-config.js';
import { resolvePaths } from '../../framework/ml-root/paths.js';
import { FileChannelReader, type ChannelReadOptions } from '../../framework/training/channels.js';
import { useTempDir } from '../helpers/temp-dir.js';

const tmp = useTempDir('byoc-channels-');

/** Builds <root>/input/data/<channel>/<files> and opens a reader on it. */
async function reader(
  channels: Record<string, Record<string, string | Uint8Array> | null>,
  config: Record<string, ChannelConfig> = {},
  env: Record<string, string> = {},
  options: ChannelReadOptions = {},
): Promise<{ reader: FileChannelReader; root: string }> {
  const root = tmp.next('r');
  await mkdir(path.join(root, 'input', 'data'), { recursive: true });
  for (const [channel, files] of Object.entries(channels)) {
    const dir = path.join(root, 'input', 'data', channel);
    await mkdir(dir, { recursive: true });
    for (const [name, content] of Object.entries(files ?? {})) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), content);
    }
  }
  return { reader: await FileChannelReader.open(resolvePaths(root, env), config, options), root };
}

async function fails(promise: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TrainingError, `expected TrainingError, got ${String(error)}`);
    for (const p of patterns) assert.match(error.message, p);
    return true;
  });
}

describe('FileChannelReader', () => {
  it('lists channels from folders and inputdataconfig', async () => {
    const { reader: r } = await reader({ train: { 'a.csv': 'x\n1\n' }, '.hidden': {} }, { validation: { ContentType: 'text/csv' } });
    assert.deepEqual(r.names(), ['train', 'validation']);
    assert.equal(r.has('train'), true);
    assert.equal(r.has('.hidden'), false);
  });

  it('reads nested folders and .gz files; skips .DS_Store, _SUCCESS and other junk', async () => {
    const { reader: r } = await reader({
      train: {
        'part-0.csv': 'a,b\n1,x\n',
        'year=2024/month=01/part-1.csv.gz': gzipSync('a,b\n2,y\n3,z\n'),
        'year=2024/part-2.csv': 'a,b\n4,w\n',
        '.DS_Store': '\x00\x01binary',
        _SUCCESS: '',
        'year=2024/_SUCCESS': '',
        'part-0.csv.crc': 'crc',
        'Thumbs.db': 'junk',
      },
    });
    assert.deepEqual(await r.files('train'), ['part-0.csv', 'year=2024/month=01/part-1.csv.gz', 'year=2024/part-2.csv']);
    const table = await r.readTable('train');
    assert.deepEqual(table.columns, ['a', 'b']);
    assert.deepEqual(
      table.records.map((rec) => rec.a),
      ['1', '2', '3', '4'],
    );
  });

  it('detects gzip by its magic bytes even without .gz', async () => {
    const { reader: r } = await reader({ train: { 'data.csv': gzipSync('a\nq\n') } });
    assert.deepEqual((await r.readTable('train')).records, [{ a: 'q' }]);
  });

  it('tolerates a UTF-8 BOM, CRLF, quoted fields and blank lines', async () => {
    const { reader: r } = await reader({ train: { 'a.csv': '\uFEFFname,text\r\n"Smith, J","say ""hi""\nthere"\r\n\r\nb,c\r\n' } });
    const table = await r.readTable('train');
    assert.deepEqual(table.columns, ['name', 'text']);
    assert.deepEqual(table.records, [
      { name: 'Smith, J', text: 'say "hi"\nthere' },
      { name: 'b', text: 'c' },
    ]);
  });

  it('accepts files with the same columns in another order', async () => {
    const { reader: r } = await reader({ train: { '1.csv': 'a,b\n1,2\n', '2.csv': 'b,a\n4,3\n' } });
    const table = await r.readTable('train');
    assert.deepEqual(table.records, [
      { a: '1', b: '2' },
      { a: '3', b: '4' },
    ]);
  });

  it('files with different headers: error naming both files and their columns', async () => {
    const { reader: r } = await reader({ train: { '1.csv': 'a,b\n1,2\n', '2.csv': 'a,c\n3,4\n' } });
    await fails(r.readTable('train'), /file 2\.csv has columns \[a, c\] but 1\.csv has \[a, b\]/, /channel "train"/);
  });

  it('a header-only file (and nothing else) is an error', async () => {
    const { reader: r } = await reader({ train: { 'a.csv': 'a,b\n' } });
    await fails(r.readTable('train'), /channel "train" has a header but no data rows/, /a\.csv/);
  });

  it('an empty channel names the channel and the likely cause', async () => {
    const { reader: r } = await reader({ train: {} });
    await fails(r.readTable('train'), /channel "train" is empty/, /S3 prefix/, /role/);
    const junkOnly = (await reader({ train: { _SUCCESS: '', '.DS_Store': 'x', 'empty.csv': '' } })).reader;
    await fails(junkOnly.readTable('train'), /channel "train" is empty/);
  });

  it('a missing channel lists the channels present', async () => {
    const { reader: r } = await reader({ train: { 'a.csv': 'a\n1\n' } });
    await fails(r.readTable('validation'), /channel "validation" not found/, /channels present: train/);
  });

  it('a truncated gzip file is named and called incomplete', async () => {
    const gz = gzipSync(`a,b\n${'1,2\n'.repeat(2000)}`);
    const { reader: r } = await reader({ train: { 'big.csv.gz': gz.subarray(0, Math.floor(gz.length / 2)) } });
    await fails(r.readTable('train'), /file big\.csv\.gz is not a complete gzip file/);
  });

  it('invalid UTF-8 is an error naming the file, not silent replacement characters', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\ncaf'), Buffer.from([0xe9]), Buffer.from(',1\n')]);
    const { reader: r } = await reader({ train: { 'latin1.csv': bytes } });
    await fails(r.readTable('train'), /file latin1\.csv is not UTF-8/);
  });

  it('a ragged row names the file, the record and the counts', async () => {
    const { reader: r } = await reader({ train: { 'r.csv': 'a,b\n1,2\n3,4,5\n' } });
    // The line the row starts on, from readCsv.
    await fails(r.readTable('train'), /file r\.csv/, /line 3/, /line 3: 3 fields, but the header has 2/);
  });

  it('duplicate and empty header names are errors', async () => {
    const dup = (await reader({ train: { 'd.csv': 'a,b,a\n1,2,3\n' } })).reader;
    await fails(dup.readTable('train'), /file d\.csv: the header repeats column name\(s\) "a"/);
    const empty = (await reader({ train: { 'e.csv': 'a,,c\n1,2,3\n' } })).reader;
    await fails(empty.readTable('train'), /empty column names at position\(s\) 2/);
  });

  it('malformed CSV quoting is an error naming the file', async () => {
    const { reader: r } = await reader({ train: { 'q.csv': 'a,b\n"unterminated,1\n' } });
    await fails(r.readTable('train'), /file q\.csv is not valid CSV/);
  });

  it('SM_CHANNEL_TRAIN points the channel elsewhere', async () => {
    const elsewhere = path.join(tmp.path, 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    await writeFile(path.join(elsewhere, 'x.csv'), 'k\nv\n');
    const { reader: r } = await reader({}, { train: { ContentType: 'text/csv' } }, { SM_CHANNEL_TRAIN: elsewhere });
    assert.deepEqual((await r.readTable('train')).records, [{ k: 'v' }]);
  });

  it('Pipe mode reads input/data/<channel>_0', async () => {
    const { reader: r, root } = await reader({}, { train: { TrainingInputMode: 'Pipe' } });
    await writeFile(path.join(root, 'input', 'data', 'train_0'), 'a\n1\n2\n');
    assert.deepEqual(await r.files('train'), ['train_0']);
    assert.deepEqual((await r.readTable('train')).records, [{ a: '1' }, { a: '2' }]);
  });
});

describe('FileChannelReader: input bounds', () => {
  const MB = 1024 * 1024;
  /** `rows` lines of zeros and commas, gzipped: a few KB that inflate to megabytes. */
  const zeros = (rows: number): Buffer => gzipSync(`a,b,c,d\n${'0,0,0,0\n'.repeat(rows)}`);

  it('a gzip file inflating past the channel byte limit fails naming the file, the limit and its setting', async () => {
    const bomb = zeros(400_000); // 3.2 MB of text
    assert.ok(bomb.length < 100_000);
    const { reader: r } = await reader({ train: { 'train.csv.gz': bomb } }, {}, {}, { limits: { maxBytes: 1 * MB } });
    await fails(
      r.readTable('train'),
      /channel "train": file train\.csv\.gz/,
      /more than 1 MB of CSV text \(decompressed\)/,
      /training\.maxChannelMb/,
      /BYOC_MAX_CHANNEL_MB/,
    );
  });

  it('the byte limit counts every file of the channel together', async () => {
    const part = `a\n${'1\n'.repeat(200_000)}`; // 400 KB each
    const files = { '1.csv': part, '2.csv': part, '3.csv': part };
    await fails((await reader({ train: files }, {}, {}, { limits: { maxBytes: 1 * MB } })).reader.readTable('train'), /file 3\.csv/, /more than 1 MB/);
    assert.equal((await (await reader({ train: files }, {}, {}, { limits: { maxBytes: 2 * MB } })).reader.readTable('train')).records.length, 600_000);
  });

  it('the row limit counts data rows of every file; exactly the limit is fine', async () => {
    const files = { '1.csv': 'a\n1\n2\n3\n', '2.csv': 'a\n4\n5\n' };
    const ok = (await reader({ train: files }, {}, {}, { limits: { maxRows: 5 } })).reader;
    assert.equal((await ok.readTable('train')).records.length, 5);
    const over = (await reader({ train: files }, {}, {}, { limits: { maxRows: 4 } })).reader;
    await fails(over.readTable('train'), /file 2\.csv/, /more than 4 data rows/, /training\.maxChannelRows/, /BYOC_MAX_CHANNEL_ROWS/);
  });

  it('stops when the heap holds more than its share of the heap limit', async () => {
    const { reader: r } = await reader({ train: { 'big.csv.gz': zeros(300_000) } }, {}, {}, { limits: { maxHeapShare: 0.001 } });
    await fails(
      r.readTable('train'),
      /file big\.csv\.gz/,
      /of the heap limit/,
      /training\.maxTableHeapShare/,
      /BYOC_MAX_TABLE_HEAP_SHARE/,
      /--max-old-space-size/,
    );
  });

  it('an aborted signal stops the read with TrainingAbortedError', async () => {
    const abort = new AbortController();
    abort.abort(new TrainingAbortedError());
    const { reader: r } = await reader({ train: { 'a.csv': 'a\n1\n' } }, {}, {}, { signal: abort.signal });
    await assert.rejects(r.readTable('train'), TrainingAbortedError);
  });

  it('a long read stops soon after the signal fires', async () => {
    const abort = new AbortController();
    const { reader: r } = await reader({ train: { 'big.csv.gz': zeros(8_000_000) } }, {}, {}, { signal: abort.signal }); // 64 MB of text
    const reading = r.readTable('train');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const fired = performance.now();
    abort.abort(new TrainingAbortedError());
    await assert.rejects(reading, TrainingAbortedError);
    const ms = performance.now() - fired;
    assert.ok(ms < 1000, `stopped ${ms.toFixed(0)} ms after the signal`);
  });
});
