/**
 * Reading a training channel file: time and peak RSS of each way, each run in a child process of
 * its own, on a generated CSV (default 50 MB; one row in ten quoted with commas, quotes or a line
 * break in its text).
 *   table/*  a Table (rows → records): FileChannelReader.readTable, and the csv-parse pipeline it had before
 *   rows/*   rows only, dropped as they come: the memory of the reader itself
 * csv-parse is the reader channels.ts used before readCsv; papa-stream is Papa.parse(Papa.NODE_STREAM_INPUT).
 * Run: npx tsc -p . ; node dist/test/bench/csv-read.bench.js [megabytes] [runs]
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import Papa from 'papaparse';
import { makeRecord } from '../../framework/codecs/codec.js';
import { CSV_DIALECT } from '../../framework/codecs/csv-dialect.js';
import { readCsv } from '../../framework/codecs/csv-stream.js';
import type { InputRecord } from '../../framework/contract/records.js';
import { resolvePaths } from '../../framework/ml-root/paths.js';
import { FileChannelReader } from '../../framework/training/channels.js';

type Variant = (file: string) => Promise<number>;

/** Bytes → text, failing on bytes that are not UTF-8 (what channels.ts did before csv-parse). */
function strictUtf8(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return new Transform({
    decodeStrings: true,
    transform(chunk: Buffer, _enc, done) {
      done(null, decoder.decode(chunk, { stream: true }));
    },
    flush(done) {
      done(null, decoder.decode());
    },
  });
}

/** Takes each row from an object stream: into records (header first), or nowhere. */
function sink(keep: boolean, counter: { rows: number }, records: InputRecord[]): Writable {
  let header: string[] | undefined;
  return new Writable({
    objectMode: true,
    write(row: string[], _enc, done) {
      counter.rows++;
      if (keep) {
        if (!header) header = row;
        else records.push(makeRecord(header, row));
      }
      done();
    },
  });
}

function csvParse(keep: boolean): Variant {
  return async (file) => {
    const counter = { rows: 0 };
    const parser = parse({ bom: true, relax_quotes: false, skip_empty_lines: true, relax_column_count: true });
    await pipeline(createReadStream(file), strictUtf8(), parser, sink(keep, counter, []));
    return counter.rows;
  };
}

function papaStream(keep: boolean): Variant {
  return async (file) => {
    const counter = { rows: 0 };
    const papa = Papa.parse(Papa.NODE_STREAM_INPUT, { ...CSV_DIALECT, newline: '\n' });
    await pipeline(createReadStream(file), strictUtf8(), papa, sink(keep, counter, []));
    return counter.rows;
  };
}

async function channel(file: string): Promise<number> {
  // The file is <root>/input/data/train/train.csv.
  const root = path.resolve(path.dirname(file), '..', '..', '..');
  const table = await (await FileChannelReader.open(resolvePaths(root, {}), {})).readTable('train');
  return table.records.length + 1;
}

async function rowsOnly(file: string): Promise<number> {
  let rows = 0;
  for await (const batch of readCsv(createReadStream(file), { source: file, blankLines: 'skip' })) rows += batch.rows.length;
  return rows;
}

const VARIANTS: Record<string, Variant> = {
  'table/csv-parse': csvParse(true),
  'table/readCsv': channel,
  'rows/csv-parse': csvParse(false),
  'rows/papa-stream': papaStream(false),
  'rows/readCsv': rowsOnly,
};

async function generate(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  const words = ['good', 'bad', 'film', 'plot', 'actor', 'très', 'bien', 'scene', 'ending', 'the', 'a', 'of'];
  let written = 0;
  let seed = 7;
  const next = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const header = 'id,review,rating,label,score\n';
  out.write(header);
  written += header.length;
  for (let i = 0; written < bytes; i++) {
    let review = Array.from({ length: 5 + next(15) }, () => words[next(words.length)]).join(' ');
    if (i % 10 === 0) review = `"${review}, ""quoted""${i % 30 === 0 ? '\nsecond line' : ''}"`;
    const line = `${i},${review},${next(10)},${next(2) ? 'positive' : 'negative'},${(next(10_000) / 100).toFixed(2)}\n`;
    written += Buffer.byteLength(line);
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const [variant, file] = process.argv.slice(2);
  if (variant && file && VARIANTS[variant]) {
    const started = performance.now();
    const rows = await VARIANTS[variant](file);
    const ms = performance.now() - started;
    console.log(JSON.stringify({ ms, rows, rssMb: process.resourceUsage().maxRSS / 1024 }));
    return;
  }
  const megabytes = Number(process.argv[2] ?? 50);
  const runs = Number(process.argv[3] ?? 3);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'byoc-csv-bench-'));
  try {
    const csv = path.join(dir, 'input', 'data', 'train', 'train.csv');
    mkdirSync(path.dirname(csv), { recursive: true });
    await generate(csv, megabytes * 1e6);
    console.log(`${csv}: ${(statSync(csv).size / 1e6).toFixed(1)} MB, node ${process.version}, ${runs} runs each (interleaved)\n`);
    const results: Record<string, Array<{ ms: number; rows: number; rssMb: number }>> = {};
    for (let run = 0; run < runs; run++) {
      for (const name of Object.keys(VARIANTS)) {
        const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), name, csv], { encoding: 'utf8' });
        if (child.status !== 0) throw new Error(`${name}: ${child.stderr}`);
        (results[name] ??= []).push(JSON.parse(child.stdout) as { ms: number; rows: number; rssMb: number });
      }
    }
    console.log('| variant | rows | median ms | MB/s | peak RSS MB |\n|---|---|---|---|---|');
    for (const [name, rs] of Object.entries(results)) {
      const ms = median(rs.map((r) => r.ms));
      const mbps = statSync(csv).size / 1e6 / (ms / 1000);
      console.log(`| ${name} | ${rs[0]!.rows} | ${ms.toFixed(0)} | ${mbps.toFixed(0)} | ${Math.max(...rs.map((r) => r.rssMb)).toFixed(0)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
