// Byte-for-byte comparison of two builds' answers (for refactorings that must not change them):
// trains models with build A, serves each model with both builds, sends the same requests to
// both and reports every response whose status or body differs.
//
//   node test/bench/compare-responses.mjs A_ROOT B_ROOT
//     A_ROOT, B_ROOT: checkouts with a build (dist/bundle/byoc.js), e.g. a `git worktree` of the
//     older commit after `npm run build`, and this one.
// Models: baseline and datawig, single-column (imdb sample: text -> class) and complete mode
// (a small mixed table: class, number, text). Requests: CSV with and without a header, JSON
// (instances, arrays, positional rows), JSON Lines, Accept variants and custom attributes.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [A, B] = process.argv.slice(2).map((p) => path.resolve(p));
if (!A || !B) {
  console.error('usage: node test/bench/compare-responses.mjs A_ROOT B_ROOT');
  process.exit(2);
}
const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(HERE, '..', 'fixtures', 'imdb_sample');
const work = mkdtempSync(path.join(os.tmpdir(), 'compare-responses-'));

function mixedTable(rows) {
  const colours = ['red', 'green', 'blue'];
  const lines = ['colour,size,text,shape'];
  for (let i = 0; i < rows; i++) {
    const c = colours[i % 3];
    const gap = (k) => (i % 7 === k ? '' : null);
    lines.push([gap(1) ?? c, gap(2) ?? String(10 + (i % 3) * 5 + (i % 5)), `item ${c} number ${i}`, gap(3) ?? (i % 2 ? 'round' : 'square')].join(','));
  }
  return `${lines.join('\n')}\n`;
}

function train(name, algorithm, csv, hyperparameters) {
  const ml = path.join(work, name);
  mkdirSync(path.join(ml, 'input', 'config'), { recursive: true });
  mkdirSync(path.join(ml, 'input', 'data', 'train'), { recursive: true });
  writeFileSync(path.join(ml, 'input', 'data', 'train', 'train.csv'), csv);
  writeFileSync(path.join(ml, 'input', 'config', 'hyperparameters.json'), JSON.stringify({ algorithm, ...hyperparameters }));
  const r = spawnSync('node', [path.join(A, 'dist/bundle/byoc.js'), 'train', '--ml-root', ml], {
    env: { ...process.env, BYOC_LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`training ${name} failed: ${r.stderr}${r.stdout}`);
  return ml;
}

async function serve(root, ml, port) {
  const child = spawn('node', [path.join(root, 'dist/bundle/byoc.js'), 'serve', '--ml-root', ml, '--port', String(port), '--workers', '1'], {
    env: { ...process.env, BYOC_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ping`)).status === 200) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${root} did not serve ${ml}`);
}

const imdb = readFileSync(path.join(FIXTURES, 'test.csv'), 'utf8');
const imdbRows = imdb.trimEnd().split('\n');
const reviews = imdbRows.slice(1, 6).map((line) => line.slice(line.indexOf(',') + 1));
const mixed = mixedTable(60);
const mixedRows = mixed.trimEnd().split('\n');

const single = [
  ['csv', 'text/csv', undefined, undefined, imdbRows.slice(0, 8).join('\n') + '\n'],
  ['csv gaps', 'text/csv', undefined, undefined, `rating_binary,review\n,${reviews[0]}\n,${reviews[1]}\n`],
  ['csv impute_present', 'text/csv', undefined, 'impute_present=true', imdbRows.slice(0, 5).join('\n') + '\n'],
  ['csv headerless', 'text/csv', undefined, undefined, imdbRows.slice(1, 4).join('\n') + '\n'],
  ['csv -> json', 'text/csv', 'application/json', undefined, imdbRows.slice(0, 4).join('\n') + '\n'],
  ['json instances', 'application/json', undefined, undefined, JSON.stringify({ instances: reviews.map((review) => ({ review })) })],
  ['json array', 'application/json', undefined, undefined, JSON.stringify(reviews.map((review) => ({ review })))],
  ['json positional', 'application/json', undefined, undefined, JSON.stringify({ instances: reviews.map((review) => [review]) })],
  ['jsonlines', 'application/jsonlines', undefined, undefined, reviews.map((review) => JSON.stringify({ review })).join('\n')],
  ['json -> csv', 'application/json', 'text/csv', undefined, JSON.stringify({ instances: reviews.map((review) => ({ review })) })],
  ['json top_k', 'application/json', undefined, 'top_k=1', JSON.stringify({ instances: reviews.map((review) => ({ review })) })],
  ['json no explain', 'application/json', undefined, 'explain=false', JSON.stringify({ instances: reviews.map((review) => ({ review })) })],
  ['json precision', 'application/json', undefined, 'precision_threshold=0.9', JSON.stringify({ instances: reviews.map((review) => ({ review })) })],
  ['csv precision', 'text/csv', undefined, 'precision_threshold=0.95', `rating_binary,review\n,${reviews[0]}\n,${reviews[1]}\n,${reviews[2]}\n`],
  ['json label_shift', 'application/json', undefined, 'label_shift=true', JSON.stringify({ instances: reviews.map((review) => ({ review })) })],
  ['csv label_shift', 'text/csv', undefined, 'label_shift=true', imdbRows.slice(0, 8).join('\n') + '\n'],
  ['missing column', 'text/csv', undefined, undefined, 'other\nx\n'],
  ['bad csv', 'text/csv', undefined, undefined, 'review\n"unclosed\n'],
  ['bad attribute value', 'text/csv', undefined, 'impute_present=maybe', imdbRows.slice(0, 3).join('\n') + '\n'],
];
const complete = [
  ['csv', 'text/csv', undefined, undefined, mixedRows.slice(0, 15).join('\n') + '\n'],
  ['csv impute_present', 'text/csv', undefined, 'impute_present=true', mixedRows.slice(0, 10).join('\n') + '\n'],
  [
    'json',
    'application/json',
    undefined,
    undefined,
    JSON.stringify(mixedRows.slice(1, 15).map((l) => Object.fromEntries(mixedRows[0].split(',').map((k, i) => [k, l.split(',')[i]])))),
  ],
  [
    'json impute_present',
    'application/json',
    undefined,
    'impute_present=true',
    JSON.stringify(mixedRows.slice(1, 6).map((l) => Object.fromEntries(mixedRows[0].split(',').map((k, i) => [k, l.split(',')[i]])))),
  ],
  [
    'jsonlines',
    'application/jsonlines',
    undefined,
    undefined,
    mixedRows
      .slice(1, 8)
      .map((l) => JSON.stringify(Object.fromEntries(mixedRows[0].split(',').map((k, i) => [k, l.split(',')[i]]))))
      .join('\n'),
  ],
];

const models = [
  ['baseline single', 'baseline', imdb, { feature_columns: 'review', label_column: 'rating_binary' }, single],
  [
    'datawig single',
    'datawig',
    readFileSync(path.join(FIXTURES, 'train.csv'), 'utf8'),
    { feature_columns: 'review', label_column: 'rating_binary', num_epochs: 5 },
    single,
  ],
  ['baseline complete', 'baseline', mixed, {}, complete],
  ['datawig complete', 'datawig', mixed, { num_epochs: 5 }, complete],
];

let compared = 0;
const differences = [];
try {
  for (const [name, algorithm, csv, hyperparameters, requests] of models) {
    const ml = train(name.replace(' ', '-'), algorithm, csv, hyperparameters);
    const servers = [await serve(A, ml, 18601), await serve(B, ml, 18602)];
    try {
      for (const [label, type, accept, attributes, body] of requests) {
        const headers = {
          'Content-Type': type,
          ...(accept ? { Accept: accept } : {}),
          ...(attributes ? { 'X-Amzn-SageMaker-Custom-Attributes': attributes } : {}),
          'X-Request-Id': 'same',
        };
        const [a, b] = await Promise.all(
          [18601, 18602].map(async (port) => {
            const res = await fetch(`http://127.0.0.1:${port}/invocations`, { method: 'POST', headers, body });
            return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
          }),
        );
        compared += 1;
        // eslint-disable-next-line max-depth -- models x requests, each level inside the try/finally that owns its resources
        if (a.status !== b.status || a.body !== b.body || a.type !== b.type) differences.push({ model: name, request: label, a, b });
      }
    } finally {
      for (const s of servers) s.kill('SIGTERM');
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`${compared} requests compared, ${differences.length} differ`);
for (const d of differences) {
  console.log(`\n## ${d.model}: ${d.request}\nA ${d.a.status} ${d.a.type}\n${d.a.body.slice(0, 800)}\nB ${d.b.status} ${d.b.type}\n${d.b.body.slice(0, 800)}`);
}
process.exitCode = differences.length === 0 ? 0 : 1;
