/**
 * End-to-end: the data team's path after training — `byoc impute --fill` (the input's columns,
 * gaps filled, a summary on stderr), standard input and output, the CSV hints, and `--model` /
 * `byoc serve --model` given a model dir, a model.tar.gz, or the wrong folder.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { freePort, jsonLines, killAll, makeTempDir, removeDir, request, runByoc, startByoc, waitFor } from '../helpers/e2e.js';

const COLOURS = ['red', 'blue', 'green'];

/** A small table: the colour is named in the title, the size (an integer) follows the colour, the weight has 2 decimals. */
function table(rows: number, gaps: boolean): string {
  const lines = ['title,colour,size,weight'];
  for (let i = 0; i < rows; i++) {
    const colour = COLOURS[i % 3]!;
    const size = 10 + (i % 3) * 5 + (i % 2);
    const colourCell = gaps && i % 10 === 0 ? '' : colour;
    const sizeCell = gaps && i % 7 === 0 ? '' : String(size);
    lines.push(`a ${colour} shirt number ${i},${colourCell},${sizeCell},${(size * 1.5 + (i % 5) / 10).toFixed(2)}`);
  }
  return `${lines.join('\n')}\n`;
}

const QUERY = ['title,colour,size,weight', 'a red shirt,,10,15.00', 'a blue shirt,blue,,22.50', 'a green shirt,,,30.10', 'a red shirt again,red,11,', ''].join(
  '\n',
);

let tmp: string;
let modelDir: string;
let query: string;

before(async () => {
  tmp = await makeTempDir('byoc-e2e-fill-');
  const train = path.join(tmp, 'train.csv');
  await writeFile(train, table(240, true));
  modelDir = path.join(tmp, 'job', 'model');
  const trained = await runByoc(['train', '--data', train, '--hp', 'algorithm=datawig', '--hp', 'num_epochs=3', '--model-dir', modelDir], {}, 120_000);
  assert.equal(trained.code, 0, trained.stderr);
  query = path.join(tmp, 'query.csv');
  await writeFile(query, QUERY);
});
after(async () => {
  killAll();
  await removeDir(tmp);
});

describe('byoc impute --fill', () => {
  it('--output -: only the CSV on stdout, the input columns with the gaps filled, integers kept integers; the summary on stderr', async () => {
    const result = await runByoc(['impute', '--model', modelDir, '--input', query, '--output', '-', '--fill']);
    assert.equal(result.code, 0, result.stderr);
    const rows = parse(result.stdout, { columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(rows[0]!), ['title', 'colour', 'size', 'weight']);
    assert.equal(rows.length, 4);
    for (const [i, row] of rows.entries()) {
      assert.ok(COLOURS.includes(row.colour!), `row ${i} colour "${row.colour}"`);
      assert.match(row.size!, /^\d+$/, `row ${i}: the size column holds integers, so does its imputation`);
    }
    // present cells are as they were
    assert.equal(rows[1]!.colour, 'blue');
    assert.equal(rows[3]!.size, '11');
    assert.equal(rows[0]!.weight, '15.00');
    // the weight column has no model: its gap stays, and the summary says so
    assert.equal(rows[3]!.weight, '');
    assert.match(result.stderr, /imputed 4 rows into standard output/);
    assert.match(result.stderr, /^ {2}colour: 2 imputed$/m);
    assert.match(result.stderr, /^ {2}size: 2 imputed$/m);
    assert.match(result.stderr, /^ {2}weight: 1 empty cells left empty: the model does not impute this column$/m);
    assert.equal(jsonLines(result.stdout).length, 0, 'no log line on stdout');
  });

  it('--input - reads standard input; without --fill the <column>_imputed columns stay', async () => {
    const output = path.join(tmp, 'columns.csv');
    const result = await runByoc(['impute', '--model', modelDir, '--input', '-', '--output', output], {}, 30_000, QUERY);
    assert.equal(result.code, 0, result.stderr);
    const rows = parse(await readFile(output, 'utf8'), { columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(rows[0]!), [
      'title',
      'colour',
      'size',
      'weight',
      'colour_imputed',
      'colour_imputed_proba',
      'size_imputed',
      'size_imputed_proba',
    ]);
    assert.equal(rows[0]!.colour, '', 'the input cell is left as it was');
    assert.ok(COLOURS.includes(rows[0]!.colour_imputed!));
  });

  it('a misspelt attribute is a usage error with a "did you mean", and the output is not written', async () => {
    const output = path.join(tmp, 'never-misspelt.csv');
    const result = await runByoc(['impute', '--model', modelDir, '--input', query, '--output', output, '--attributes', 'precision_treshold=0.9']);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^byoc impute: unknown custom attribute "precision_treshold" = "0\.9"; did you mean "precision_threshold"\? \(known custom attributes: precision_threshold, /m,
    );
    assert.equal(result.stderr.match(/unknown custom attribute/g)?.length, 1, 'printed once');
    assert.equal(existsSync(output), false);
  });

  it('--fill with a contradicting output attribute is refused, and the output is not written', async () => {
    const output = path.join(tmp, 'never.csv');
    const result = await runByoc(['impute', '--model', modelDir, '--input', query, '--output', output, '--fill', '--attributes', 'output=columns']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--fill writes the input's columns filled in, but --attributes asks for output=columns/);
    assert.equal(existsSync(output), false);
  });
});

describe('byoc impute: CSV hints', () => {
  const run = async (csv: string): Promise<string> => {
    const input = path.join(tmp, `hint-${csv.length}.csv`);
    await writeFile(input, csv);
    const result = await runByoc(['impute', '--model', modelDir, '--input', input, '--output', path.join(tmp, 'hint-out.csv')]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr.match(/byoc impute:/g)?.length, 1, `the error is printed once:\n${result.stderr}`);
    return result.stderr;
  };

  it('several missing columns are all named', async () => {
    const stderr = await run('title,colour\nx,red\n');
    assert.match(stderr, /the input lacks 2 columns the model needs: "size", "weight"/);
  });

  it('a header that differs by case gets a hint', async () => {
    const stderr = await run('Title,colour,size,weight\nx,,1,2\n');
    assert.match(stderr, /"title" \(the input has "Title": column names are case-sensitive\)/);
  });

  it('a file separated by ";" or tabs gets a hint about the delimiter', async () => {
    assert.match(await run('title;colour;size;weight\nx;;1;2\n'), /is the file separated by ";"\? CSV input must be comma-separated/);
    assert.match(await run('title\tcolour\tsize\tweight\nx\t\t1\t2\n'), /is the file separated by tabs\?/);
  });
});

describe('--model: a model.tar.gz, or the wrong folder', () => {
  let archive: string;
  before(() => {
    archive = path.join(tmp, 'model.tar.gz');
    // what SageMaker uploads: the model dir's content at the archive's top
    execFileSync('tar', ['-czf', archive, '-C', modelDir, '.']);
  });

  it('impute --model model.tar.gz unpacks it and imputes', async () => {
    const result = await runByoc(['impute', '--model', archive, '--input', query, '--output', '-', '--fill']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((parse(result.stdout, { columns: true }) as unknown[]).length, 4);
  });

  it('an ml-root, or a folder holding model.tar.gz, is refused with what to pass instead (exit 2)', async () => {
    const mlRoot = path.dirname(modelDir);
    let result = await runByoc(['impute', '--model', mlRoot, '--input', query, '--output', '-']);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      new RegExp(`looks like an ml-root \\(its model is in model/\\): pass --model ${path.join(mlRoot, 'model').replaceAll('/', '\\/')}`),
    );
    result = await runByoc(['impute', '--model', tmp, '--input', query, '--output', '-']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /holds no model but model\.tar\.gz: pass --model .*model\.tar\.gz/);
    result = await runByoc(['impute', '--model', path.join(tmp, 'nope'), '--input', query, '--output', '-']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--model .*nope: no such file or directory/);
  });

  it('an archive with a symbolic link is refused, and nothing is left unpacked', async () => {
    const staged = path.join(tmp, 'linked');
    await mkdir(staged);
    await writeFile(path.join(staged, 'manifest.json'), '{}');
    await symlink('/etc/passwd', path.join(staged, 'weights.bin'));
    const bad = path.join(tmp, 'linked.tar.gz');
    execFileSync('tar', ['-czf', bad, '-C', staged, '.']);
    const result = await runByoc(['impute', '--model', bad, '--input', query, '--output', '-']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /refused to unpack it: .*weights\.bin is a SymbolicLink/);
  });

  it('serve --model model.tar.gz answers /invocations, and removes what it unpacked when stopped', async () => {
    const port = await freePort();
    const server = startByoc(['serve', '--model', archive, '--port', String(port), '--workers', '1']);
    try {
      await waitFor(async () => (await request(port, 'GET', '/ping', { timeoutMs: 2000 }).catch(() => ({ status: 0 }))).status === 200, 20_000);
      const res = await request(port, 'POST', '/invocations', {
        body: QUERY,
        headers: { 'Content-Type': 'text/csv', Accept: 'text/csv', 'X-Amzn-SageMaker-Custom-Attributes': 'output=fill' },
      });
      assert.equal(res.status, 200, res.body);
      const misspelt = await request(port, 'POST', '/invocations', {
        body: QUERY,
        headers: { 'Content-Type': 'text/csv', 'X-Amzn-SageMaker-Custom-Attributes': 'precision_treshold=0.9' },
      });
      assert.equal(misspelt.status, 400);
      assert.match(misspelt.body, /unknown custom attribute \\?"precision_treshold\\?" = \\?"0\.9\\?"; did you mean \\?"precision_threshold\\?"\?/);
      assert.deepEqual(Object.keys((parse(res.body, { columns: true }) as Record<string, string>[])[0]!), ['title', 'colour', 'size', 'weight']);
      const started = jsonLines(server.stdout).find((l) => l.msg === 'starting server');
      assert.equal(started?.unpackedFrom, archive);
      const unpacked = String(started?.modelDir);
      assert.ok(existsSync(unpacked));
      server.kill('SIGTERM');
      assert.equal((await server.exit(35_000)).code, 0);
      assert.equal(existsSync(unpacked), false, 'the unpacked model is removed');
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('serve --model with --ml-root is a usage error', async () => {
    const result = await runByoc(['serve', '--model', modelDir, '--ml-root', tmp]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /pass --model or --ml-root, not both/);
  });
});
