/**
 * The linear family against its scikit-learn peer (HashingVectorizer word 1-2-grams +
 * SGDClassifier log-loss) on the same rows, in one run: fit seconds, accuracy and macro-F1 on
 * held-out rows, and our ratios. Tasks: the generated catalogue (16 classes, unseen labels among
 * the evaluation rows) at 5k and 20k training rows, and the vega-datasets movies table
 * (Title → Major Genre; Title + Distributor + Source + Creative Type + Director → MPAA Rating).
 * Run: npx tsc -p . ; node dist/test/bench/linear.bench.js [task name part ...]
 */
import { readFileSync } from 'node:fs';
import type { InputRecord } from '../../framework/contract/index.js';
import { linearScoresBatch } from '../../algorithms/datawig/core/linear-model.js';
import { rng } from '../../algorithms/datawig/core/rng.js';
import type { ColumnType } from '../../algorithms/datawig/format/featurizer-spec.js';
import { fitLinearAdaptive, linearDefaults } from '../../algorithms/datawig/fit/fit-linear.js';
import { accuracy, catalogue, CATALOGUE_FEATURES, holdOut, macroF1, prepare, runSklearnPeer } from '../datawig/linear-data.js';

interface Task {
  name: string;
  train: InputRecord[];
  evaluate: InputRecord[];
  label: string;
  features: { name: string; type: ColumnType; meanLength: number }[];
  /** What the peer reads, concatenated. */
  peerText: string[];
}

/** Fits ours (featurizer, encoding and training, timed together) and predicts the evaluation rows. */
async function ours(t: Task): Promise<{ fitSeconds: number; predictions: string[]; epochs: number }> {
  const t0 = performance.now();
  const { train, val } = holdOut(t.train, 0.1);
  const prep = prepare(train, t.label, 'classification', t.features);
  const out = await fitLinearAdaptive(
    {
      ...linearDefaults('classification', train.length),
      task: 'classification',
      outDim: prep.classes.length,
      sparseDim: prep.featurizer.spec.tableRows,
      textWeighting: prep.textWeighting,
      deadline: Infinity,
      signal: new AbortController().signal,
    },
    prep.data(train),
    prep.data(val),
  );
  const fitSeconds = (performance.now() - t0) / 1000;
  const enc = prep.encode(t.evaluate);
  const scores = linearScoresBatch(out.model, enc);
  const K = prep.classes.length;
  const predictions = t.evaluate.map((_, i) => {
    let best = 0;
    for (let k = 1; k < K; k++) if (scores[i * K + k]! > scores[i * K + best]!) best = k;
    return prep.classes[best]!;
  });
  return { fitSeconds, predictions, epochs: out.epochs };
}

function moviesTasks(): Task[] {
  // the package's "exports" hide data/, so read the file from node_modules (dist/test/bench -> repo root)
  const file = new URL('../../../node_modules/vega-datasets/data/movies.json', import.meta.url);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
  const cell = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  const rows = raw.map((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, cell(v)])) as InputRecord);
  const split = (label: string) => {
    const known = rows.filter((r) => r[label] !== '');
    const r = rng(11);
    for (let i = known.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [known[i], known[j]] = [known[j]!, known[i]!];
    }
    const nEval = Math.round(known.length * 0.2);
    return { evaluate: known.slice(0, nEval), train: known.slice(nEval) };
  };
  const cat = (name: string) => ({ name, type: 'categorical' as const, meanLength: 8 });
  const title = { name: 'Title', type: 'text' as const, meanLength: 16 };
  const ratingInputs = ['Distributor', 'Source', 'Creative Type', 'Director'];
  return [
    { name: 'movies Title → Major Genre', ...split('Major Genre'), label: 'Major Genre', features: [title], peerText: ['Title'] },
    {
      name: 'movies Title + 4 columns → MPAA Rating',
      ...split('MPAA Rating'),
      label: 'MPAA Rating',
      features: [title, ...ratingInputs.map(cat)],
      peerText: ['Title', ...ratingInputs],
    },
  ];
}

async function main(): Promise<void> {
  const tasks: Task[] = [5000, 20000].map((n) => ({
    name: `catalogue ${n / 1000}k → colour (16 classes, 3 % unseen)`,
    train: catalogue(n, 100 + n),
    evaluate: catalogue(4000, 200 + n, 0.03),
    label: 'colour',
    features: CATALOGUE_FEATURES,
    peerText: ['title', 'description'],
  }));
  tasks.push(...moviesTasks());
  const only = process.argv.slice(2);
  const chosen = only.length ? tasks.filter((t) => only.some((o) => t.name.includes(o))) : tasks;
  console.log(
    '| task | train rows | ours acc | sklearn acc | ours F1 | sklearn F1 | ours fit s | sklearn fit s | acc ratio | F1 ratio | time ratio | epochs |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const t of chosen) {
    const truth = t.evaluate.map((r) => String(r[t.label]));
    const a = await ours(t);
    const p = runSklearnPeer(t.train, t.evaluate, t.peerText, t.label);
    const [oa, pa, of, pf] = [accuracy(truth, a.predictions), accuracy(truth, p.predictions), macroF1(truth, a.predictions), macroF1(truth, p.predictions)];
    const f = (x: number) => x.toFixed(3);
    console.log(
      `| ${t.name} | ${t.train.length} | ${f(oa)} | ${f(pa)} | ${f(of)} | ${f(pf)} | ${f(a.fitSeconds)} | ${f(p.fitSeconds)} | ${f(oa / pa)} | ${f(of / pf)} | ${f(a.fitSeconds / p.fitSeconds)} | ${a.epochs} |`,
    );
  }
}

await main();
