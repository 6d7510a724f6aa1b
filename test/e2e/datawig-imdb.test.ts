/**
 * End-to-end: the original container's sample (50 IMDb reviews, its hyperparameters.json unchanged)
 * trains with `byoc train` under the default algorithm (datawig) and is served in the original
 * response shapes over real HTTP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { IMDB_DIR, buildMlRoot, killAll, makeTempDir, removeDir, request, runByoc, startServer, type ServerHandle } from '../helpers/e2e.js';

let tmp: string;
let root: string;
let server: ServerHandle | undefined;

before(async () => {
  tmp = await makeTempDir('byoc-e2e-datawig-');
  const hyperparameters = JSON.parse(await readFile(path.join(IMDB_DIR, 'hyperparameters.json'), 'utf8')) as Record<string, unknown>;
  root = await buildMlRoot(path.join(tmp, 'ml'), { hyperparameters });
});
after(async () => {
  if (server) await server.stop();
  killAll();
  await removeDir(tmp);
});

describe('datawig on the original container sample', () => {
  it('trains with the unchanged hyperparameters and records datawig in the manifest', async () => {
    const result = await runByoc(['train', '--ml-root', root], {}, 120_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /METRIC validation:accuracy=[0-9.]+ epoch=1/);
    const manifest = JSON.parse(await readFile(path.join(root, 'model', 'manifest.json'), 'utf8'));
    assert.equal(manifest.algorithm.name, 'datawig');
    assert.deepEqual(manifest.inputSchema.requiredColumns, ['review']);
  });

  it('serves CSV and JSON in the original response shapes', async () => {
    server = await startServer(root, { workers: 2, timeoutMs: 60_000 });
    const test = await readFile(path.join(IMDB_DIR, 'test.csv'), 'utf8');
    const rows = parse(test, { columns: true }) as Array<Record<string, string>>;

    const csv = await request(server.port, 'POST', '/invocations', {
      headers: { 'Content-Type': 'text/csv' },
      body: test,
    });
    assert.equal(csv.status, 200, csv.body);
    const out = parse(csv.body, { columns: true }) as Array<Record<string, string>>;
    assert.equal(out.length, rows.length, 'one output row per input row');
    out.forEach((row, i) => {
      assert.equal(row.review, rows[i]!.review, 'rows keep their order and values');
      assert.ok('rating_binary_imputed' in row && 'rating_binary_imputed_proba' in row);
    });

    const json = await request(server.port, 'POST', '/invocations', {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ instances: [{ review: 'awesome movie i really liked it alot' }] }),
    });
    assert.equal(json.status, 200, json.body);
    const body = JSON.parse(json.body) as { instances: Array<Record<string, unknown>> };
    assert.equal(body.instances.length, 1);
    const answer = body.instances[0]!;
    assert.equal(answer.label_column, 'rating_binary');
    const predictions = answer.predictions as Array<{ predicted: string; predicted_probability: number }>;
    assert.deepEqual(new Set(predictions.map((p) => p.predicted)), new Set(['positive', 'negative']));
    const total = predictions.reduce((s, p) => s + p.predicted_probability, 0);
    assert.ok(Math.abs(total - 1) < 1e-3, `probabilities sum to 1 (got ${total})`);
    const explanations = answer.prediction_explanations as Array<{ explained_label: string; tokens: string[] }>;
    assert.equal(explanations[0]!.explained_label, predictions[0]!.predicted);
    assert.ok(explanations[0]!.tokens.length > 0);
  });
});
