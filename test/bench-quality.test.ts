/** The quality benchmark's pure parts (test/bench/quality): masks, metrics, generators, argument parsing. No python, no training. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { tableToCsv } from './bench/quality/csv.js';
import { scoreColumn } from './bench/quality/evaluate.js';
import { CATALOGUE_CLASSES, UNSEEN_CATEGORY, catalogueTable, coordinatesTable, lowRankTable, swissRollTable } from './bench/quality/generated.js';
import { ALL_MASKS, applyMask, generateMask, labelHoldout, parseMaskId, pickHidden } from './bench/quality/masks.js';
import { errorRate, errorRatio, macroF1, median, normalisedMse, summarise, variance, type ColumnCase } from './bench/quality/metrics.js';
import { parseAssignments, parseVariant } from './bench/quality/ours.js';
import { seededRandom } from './bench/quality/random.js';
import { numericColumn, stringColumn, validateTable, type BenchTable, type NumericColumn } from './bench/quality/table.js';
import { flightTime, fractionalYear } from './bench/quality/vega.js';

/**
 * 200 rows: a = 0..199, b = 199..0 (so "b high" means "a low"), c categorical with natural gaps every
 * 10th row, t text (so that no row can lose every cell and the exact counts hold).
 */
function smallTable(): BenchTable {
  const rows = 200;
  return validateTable({
    name: 'small',
    description: 'test',
    rows,
    columns: [
      numericColumn(
        'a',
        Array.from({ length: rows }, (_, i) => i),
      ),
      numericColumn(
        'b',
        Array.from({ length: rows }, (_, i) => rows - 1 - i),
      ),
      stringColumn(
        'c',
        'categorical',
        Array.from({ length: rows }, (_, i) => (i % 10 === 0 ? null : `k${i % 4}`)),
      ),
      stringColumn(
        't',
        'text',
        Array.from({ length: rows }, (_, i) => `row ${i}`),
      ),
    ],
  });
}

const meanOf = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('masks', () => {
  it('hide round(rate x known cells) of every target column, never a naturally missing cell', () => {
    const table = smallTable();
    for (const spec of ALL_MASKS) {
      const mask = generateMask(table, spec, 7);
      assert.equal(mask.hidden.get('a')!.length, Math.round(spec.rate * 200), spec.id);
      assert.equal(mask.hidden.get('c')!.length, Math.round(spec.rate * 180), spec.id);
      for (const row of mask.hidden.get('c')!) assert.notEqual(row % 10, 0, `${spec.id}: row ${row} was missing already`);
    }
  });

  it('are deterministic for a seed and differ between seeds', () => {
    const table = smallTable();
    const spec = parseMaskId('mcar30');
    assert.deepEqual(generateMask(table, spec, 3).hidden, generateMask(table, spec, 3).hidden);
    assert.notDeepEqual(generateMask(table, spec, 3).hidden.get('a'), generateMask(table, spec, 4).hidden.get('a'));
  });

  it('MNAR hides high values of the column itself; MCAR hides values around the middle', () => {
    const table = smallTable();
    const mnar = generateMask(table, parseMaskId('mnar10'), 1).hidden.get('a')!;
    // drawn from the top 20 %: every hidden a is >= 160
    assert.ok(Math.min(...mnar) >= 160, `min hidden ${Math.min(...mnar)}`);
    const mcar = generateMask(table, parseMaskId('mcar30'), 1).hidden.get('a')!;
    assert.ok(Math.abs(meanOf(mcar) - 99.5) < 25, `mean hidden ${meanOf(mcar)}`);
  });

  it('MAR hides cells where the driving column is high', () => {
    // two columns: the driver of a is b, which is high where a is low
    const table = { ...smallTable(), columns: smallTable().columns.slice(0, 2) };
    const mar30 = generateMask(table, parseMaskId('mar30'), 5);
    assert.equal(mar30.drivers.get('a'), 'b');
    // drawn from the top 60 % of b, i.e. a < 120
    assert.ok(Math.max(...mar30.hidden.get('a')!) < 120, `max hidden a ${Math.max(...mar30.hidden.get('a')!)}`);
    const mar10 = generateMask(table, parseMaskId('mar10'), 5);
    assert.ok(Math.max(...mar10.hidden.get('a')!) < 40);
    assert.ok(Math.min(...mar10.hidden.get('b')!) >= 160, 'and the driver of b is a');
  });

  it('pickHidden draws from the top 2 x count by key, missing keys last', () => {
    const key = Float64Array.from([5, NaN, 1, 9, 7, 3]);
    const picked = pickHidden([0, 1, 2, 3, 4, 5], 1, key, seededRandom(1));
    assert.equal(picked.length, 1);
    assert.ok([3, 4].includes(picked[0]!), `picked ${picked[0]}`);
    assert.deepEqual(pickHidden([0, 1, 2], 3, key, seededRandom(1)), [0, 1, 2]);
  });

  it('always-masked cells are hidden in every mask and a fully hidden row gets a cell back', () => {
    const table = catalogueTable(2, 400);
    const unseen = table.alwaysMasked!.category!;
    assert.ok(unseen.length > 0);
    for (const spec of ALL_MASKS) {
      const hidden = new Set(generateMask(table, spec, 9).hidden.get('category'));
      for (const row of unseen) assert.ok(hidden.has(row), `${spec.id}: row ${row}`);
    }
    const tiny = validateTable({
      name: 't',
      description: '',
      rows: 40,
      columns: [
        numericColumn(
          'p',
          Array.from({ length: 40 }, (_, i) => i),
        ),
        numericColumn(
          'q',
          Array.from({ length: 40 }, (_, i) => i),
        ),
      ],
    });
    const mask = generateMask(tiny, parseMaskId('mnar50'), 1);
    const p = new Set(mask.hidden.get('p'));
    for (const row of mask.hidden.get('q')!) assert.ok(!p.has(row), `row ${row} lost both cells`);
  });

  it('applyMask empties exactly the hidden cells; labelHoldout hides only the label', () => {
    const table = smallTable();
    const mask = generateMask(table, parseMaskId('mcar10'), 2);
    const masked = applyMask(table, mask);
    const a = masked.columns[0] as NumericColumn;
    const hidden = new Set(mask.hidden.get('a'));
    for (let row = 0; row < 200; row++) assert.equal(Number.isNaN(a.values[row]!), hidden.has(row));
    assert.equal((table.columns[0] as NumericColumn).values[[...hidden][0]!], [...hidden][0], 'the truth is not modified');
    const holdout = labelHoldout(table, 'c', 0.2, 2);
    assert.deepEqual([...holdout.hidden.keys()], ['c']);
    assert.equal(holdout.hidden.get('c')!.length, 36);
  });

  it('parseMaskId accepts mcar|mar|mnar + percent and rejects the rest', () => {
    assert.deepEqual(parseMaskId('MNAR30'), { id: 'mnar30', mechanism: 'MNAR', rate: 0.3 });
    assert.throws(() => parseMaskId('random10'), /mcar\|mar\|mnar/);
    assert.throws(() => parseMaskId('mcar0'), /percentage/);
  });
});

describe('metrics', () => {
  it('normalised MSE: 0 for the truth, 1 for the column mean on the whole column', () => {
    const truth = Float64Array.from([1, 2, 3, 4]);
    assert.equal(normalisedMse(truth, truth, variance(truth)), 0);
    assert.equal(normalisedMse(truth, Float64Array.from([2.5, 2.5, 2.5, 2.5]), variance(truth)), 1);
    assert.equal(variance(Float64Array.from([1, NaN, 3])), 1);
    assert.throws(() => normalisedMse(truth, truth.subarray(1), 1), /4 true values but 3/);
  });

  it('error rate and macro-F1 over the classes in the truth', () => {
    const truth = ['x', 'x', 'y', 'y'];
    const predicted = ['x', 'y', 'y', 'z'];
    assert.equal(errorRate(truth, predicted), 0.5);
    // x: tp 1, fn 1 → 2/3; y: tp 1, fp 1, fn 1 → 1/2; z is not in the truth
    assert.ok(Math.abs(macroF1(truth, predicted) - (2 / 3 + 1 / 2) / 2) < 1e-12);
    assert.equal(macroF1(truth, truth), 1);
    assert.equal(errorRate(truth, [null, null, null, null]), 1);
  });

  it('ratio, median and the acceptance summary', () => {
    assert.equal(errorRatio(0.2, 0.4), 0.5);
    assert.equal(errorRatio(0, 0), 1);
    assert.equal(errorRatio(0.1, 0), Infinity);
    assert.equal(median([3, 1, NaN, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    const cases = (ratios: number[]): ColumnCase[] =>
      ratios.map((ratio, i) => ({ table: i < 2 ? 't1' : 't2', mask: 'mcar10', column: `c${i}`, kind: i % 2 ? 'categorical' : 'numeric', ratio }));
    const good = summarise(cases([0.9, 0.8, 0.95, 1.0]));
    assert.equal(good.passes, true, JSON.stringify(good));
    assert.equal(good.overallNumbers, 0.925);
    assert.equal(summarise(cases([0.9, 0.8, 0.95, 1.05])).passes, false, 'a table median above 1 fails');
    const bad = summarise(cases([0.9, 0.8, 1.2, 1.0]));
    assert.equal(bad.passes, false);
    assert.deepEqual(
      bad.worse.map((w) => w.column),
      ['c2'],
    );
    assert.equal(summarise(cases([0.9, 0.8, 0.9, NaN])).worse.length, 1, 'a failed run counts as worse');
  });

  it('scoreColumn scores hidden cells, filling empty ones with the known mean / mode', () => {
    const truth = numericColumn('n', [1, 2, 3, 4]);
    const masked = numericColumn('n', [1, NaN, 3, NaN]);
    const exact = scoreColumn(truth, masked, [1, 3], ['2', 4]);
    assert.deepEqual(exact, { error: 0, unfilled: 0 });
    const empty = scoreColumn(truth, masked, [1, 3], [null, '4']);
    assert.equal(empty.unfilled, 1);
    assert.equal(empty.error, (2 - 2) ** 2 / 2 / variance(truth.values));
    const classes = scoreColumn(stringColumn('k', 'categorical', ['a', 'b', 'a']), stringColumn('k', 'categorical', ['a', null, null]), [1, 2], ['b', null]);
    assert.equal(classes.error, 0);
    assert.equal(classes.unfilled, 1);
  });
});

describe('generated tables and parsing', () => {
  it('generators are seeded and shaped as documented', () => {
    const low = lowRankTable(1);
    assert.equal(low.rows, 600);
    assert.equal(low.columns.length, 30);
    assert.deepEqual(lowRankTable(1).columns[3]!.values, low.columns[3]!.values);
    assert.notDeepEqual(lowRankTable(2).columns[3]!.values, low.columns[3]!.values);
    assert.equal(swissRollTable(1).columns.length, 3);
    const coordinates = coordinatesTable(1, 300);
    assert.deepEqual(
      coordinates.columns.map((c) => c.kind),
      ['numeric', 'numeric', 'numeric', 'categorical', 'categorical'],
    );
  });

  it('the catalogue has 16 seen categories plus unseen-category rows that are always masked', () => {
    const table = catalogueTable(1, 1000);
    const category = table.columns.find((c) => c.name === 'category')!;
    assert.equal(category.kind, 'categorical');
    const values = category.values as string[];
    const unseen = table.alwaysMasked!.category!;
    assert.deepEqual(
      unseen,
      values.flatMap((v, i) => (v === UNSEEN_CATEGORY ? [i] : [])),
    );
    assert.equal(new Set(values.filter((v) => v !== UNSEEN_CATEGORY)).size, CATALOGUE_CLASSES);
  });

  it('the CSV quotes what needs quoting and round-trips through a CSV parser', () => {
    const table = validateTable({
      name: 'q',
      description: '',
      rows: 2,
      columns: [stringColumn('t', 'text', ['a, "b"', null]), numericColumn('n', [0.1 + 0.2, NaN])],
    });
    const csv = tableToCsv(table);
    assert.deepEqual(parse(csv, { columns: true }), [
      { t: 'a, "b"', n: String(0.1 + 0.2) },
      { t: '', n: '' },
    ]);
    assert.throws(() => tableToCsv({ ...table, columns: [stringColumn('t', 'categorical', ['NA', 'x'])] }), /read as missing/);
    assert.throws(() => validateTable({ ...table, columns: [numericColumn('a,b', [1, 2])] }), /contains/);
  });

  it('hyperparameter assignments and variants', () => {
    assert.deepEqual(parseAssignments('model_family=trees,column_types=a:text,b:numeric'), { model_family: 'trees', column_types: 'a:text,b:numeric' });
    assert.deepEqual(parseVariant('trees:model_family=trees,num_epochs=5'), { name: 'trees', hyperparameters: { model_family: 'trees', num_epochs: '5' } });
    assert.deepEqual(parseVariant('plain'), { name: 'plain', hyperparameters: {} });
    assert.throws(() => parseAssignments('novalue'), /key=value/);
    assert.throws(() => parseVariant('bad name:x=1'), /--variant/);
  });

  it('dates become numbers', () => {
    assert.equal(Math.floor(fractionalYear('Jun 12 1998')), 1998);
    assert.ok(fractionalYear('Jun 12 1998') > 1998.4 && fractionalYear('Jun 12 1998') < 1998.5);
    assert.ok(Number.isNaN(fractionalYear('someday')));
    assert.deepEqual(flightTime('2001/02/01 13:30'), [32, 13.5]);
  });
});
