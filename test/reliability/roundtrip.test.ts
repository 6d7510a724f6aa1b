/**
 * Round-trip properties: for valid inputs, decode → encode → decode keeps every row, every value
 * and the row order, for CSV (with a header, and header-less mapped by the model schema), JSON (both
 * envelopes) and JSON Lines. CSV cells stay strings, so "007" stays "007".
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CsvCodec, JsonCodec, JsonLinesCodec, type DecodeOptions } from '../../framework/codecs/index.js';
import type { Cell, InputSchema } from '../../framework/contract/records.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const RUNS = 200;
const limits = { maxRows: 1_000, maxColumns: 50 };
const csv = new CsvCodec();
const json = new JsonCodec();
const jsonl = new JsonLinesCodec();

/** Cell text a CSV must carry unchanged: quotes, separators, line breaks, unicode, leading zeros, spaces. */
const csvCell = fc.oneof(
  fc.constantFrom(
    '007',
    '0',
    '00.10',
    '-0',
    '1e999',
    'NaN',
    ' padded ',
    'a,b',
    'say "hi"',
    '"',
    '""',
    'line1\nline2',
    'crlf\r\nend',
    'cr\rend',
    'é',
    '漢字',
    '😀',
    '\0',
    '=SUM(A1)',
    '__proto__',
    '../../etc/passwd',
    'null',
    '',
  ),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }).filter((s) => !/[\uD800-\uDFFF]/.test(s)),
);
/** Header names: non-empty after trimming and without surrounding spaces (the decoder trims header names). */
const columnName = fc
  .oneof(fc.constantFrom('review', 'rating', 'a,b', 'x"y', 'multi\nline', '__proto__', 'constructor', 'ü'), fc.string({ minLength: 1, maxLength: 8 }))
  .filter((name) => name.trim() === name && name !== '' && !name.startsWith('\uFEFF'));

/** A table with at least 2 columns: one column of empty cells is a blank line (see the single-column test below). */
const table = (minColumns: number) =>
  fc.uniqueArray(columnName, { minLength: minColumns, maxLength: 6 }).chain((columns) =>
    fc.record({
      columns: fc.constant(columns),
      rows: fc.array(fc.array(csvCell, { minLength: columns.length, maxLength: columns.length }), { minLength: 1, maxLength: 20 }),
    }),
  );

const toRecords = (columns: string[], rows: Cell[][]) => rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i] ?? null])));

const opts = (extra: Partial<DecodeOptions> = {}): DecodeOptions => ({ mediaParams: {}, limits, ...extra });

describe('round trip: CSV', () => {
  it('with a header: encode → decode keeps columns, rows, values and order', () => {
    fc.assert(
      fc.property(table(2), ({ columns, rows }) => {
        const text = csv.encode({ columns, records: toRecords(columns, rows) }, 'csv-header');
        const batch = csv.decode(utf8(text), opts());
        assert.equal(batch.shape, 'csv-header');
        assert.deepEqual(batch.columns, columns);
        assert.deepEqual(
          batch.records.map((r) => columns.map((c) => r[c])),
          rows,
        );
        // ... and encoding the decoded batch gives the same bytes again.
        assert.equal(csv.encode(batch, batch.shape), text);
      }),
      { numRuns: RUNS },
    );
  });

  it('header-less, mapped by the model schema: one output line per input line, in order', () => {
    fc.assert(
      fc.property(table(2), ({ columns, rows }) => {
        const schema: InputSchema = { columns: columns.map((name) => ({ name })), requiredColumns: columns };
        const text = csv.encode({ columns, records: toRecords(columns, rows) }, 'csv-headerless');
        const batch = csv.decode(utf8(text), opts({ schema, mediaParams: { header: 'absent' } }));
        assert.equal(batch.shape, 'csv-headerless');
        assert.deepEqual(
          batch.records.map((r) => columns.map((c) => r[c])),
          rows,
        );
        assert.equal(csv.encode(batch, batch.shape), text);
      }),
      { numRuns: RUNS },
    );
  });

  it('CRLF line ends and a BOM decode to the same rows', () => {
    fc.assert(
      fc.property(table(2), ({ columns, rows }) => {
        const text = csv.encode({ columns, records: toRecords(columns, rows) }, 'csv-header');
        const crlf = '\uFEFF' + text.replace(/\n$/, '').split('\n').join('\r\n') + '\r\n';
        // Only valid when no cell holds a line break (inside quotes the break is data).
        fc.pre(rows.every((row) => row.every((cell) => !/[\r\n]/.test(String(cell)))) && columns.every((c) => !/[\r\n]/.test(c)));
        const batch = csv.decode(utf8(crlf), opts());
        assert.deepEqual(
          batch.records.map((r) => columns.map((c) => r[c])),
          rows,
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('leading zeros, signs and exponents stay strings', () => {
    const batch = csv.decode(utf8('zip,code,n\n00123,-0,1e999\n007,+1,NaN\n'), opts());
    assert.deepEqual(batch.records, [
      { zip: '00123', code: '-0', n: '1e999' },
      { zip: '007', code: '+1', n: 'NaN' },
    ]);
  });

  it('a cell with a lone CR in the first row is quoted, so a header-less body still splits on LF', () => {
    const columns = ['a', 'b'];
    const rows = [
      ['cr\rend', 'x'],
      ['', 'y'],
    ];
    const text = csv.encode({ columns, records: toRecords(columns, rows) }, 'csv-headerless');
    assert.equal(text, '"cr\rend",x\n,y\n');
    const schema: InputSchema = { columns: columns.map((name) => ({ name })), requiredColumns: columns };
    const batch = csv.decode(utf8(text), opts({ schema, mediaParams: { header: 'absent' } }));
    assert.deepEqual(
      batch.records.map((r) => columns.map((c) => r[c])),
      rows,
    );
  });
});

/** JSON cells: strings (any unicode), finite numbers (not -0, which JSON cannot tell from 0), booleans, null. */
const jsonCell: fc.Arbitrary<Cell> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('007', 'a,b', 'line\nbreak', '"', '\0', '\u2028', '__proto__'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
/**
 * JSON keys that are canonical array indices ("0", "42") are enumerated first by every JS object, so
 * their position in `columns` follows the key rule, not the request; they are tested separately.
 */
const isIndexKey = (key: string): boolean => /^(0|[1-9]\d*)$/.test(key) && Number(key) < 2 ** 32 - 1;
const jsonTable = fc
  .uniqueArray(
    fc.oneof(columnName, fc.constantFrom('', ' ', 'with space ')).filter((k) => !isIndexKey(k)),
    { minLength: 1, maxLength: 6 },
  )
  .chain((columns) =>
    fc.record({
      columns: fc.constant(columns),
      rows: fc.array(fc.array(jsonCell, { minLength: columns.length, maxLength: columns.length }), { minLength: 1, maxLength: 20 }),
    }),
  );
/** Records built like JSON.parse builds them ("__proto__" an own key). */
const ownRecords = (columns: string[], rows: Cell[][]) =>
  rows.map((row) => {
    const record: Record<string, Cell> = {};
    columns.forEach((c, i) => Object.defineProperty(record, c, { value: row[i] ?? null, enumerable: true, writable: true, configurable: true }));
    return record;
  });

describe('round trip: JSON and JSON Lines', () => {
  for (const shape of ['json-array', 'json-instances'] as const) {
    it(`JSON ${shape}: encode → decode keeps keys, values, row order and the envelope`, () => {
      fc.assert(
        fc.property(jsonTable, ({ columns, rows }) => {
          const records = ownRecords(columns, rows);
          const text = json.encode({ columns, records }, shape);
          const batch = json.decode(utf8(text), opts());
          assert.equal(batch.shape, shape);
          assert.deepEqual(batch.columns, columns);
          assert.deepEqual(
            batch.records.map((r) => columns.map((c) => r[c])),
            rows,
          );
          assert.equal(json.encode(batch, batch.shape), text);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('JSON positional instances map to the schema columns in order', () => {
    fc.assert(
      fc.property(jsonTable, ({ columns, rows }) => {
        const schema: InputSchema = { columns: columns.map((name) => ({ name })), requiredColumns: columns };
        const batch = json.decode(utf8(JSON.stringify({ instances: rows })), opts({ schema }));
        assert.deepEqual(
          batch.records.map((r) => columns.map((c) => r[c])),
          rows,
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('JSON Lines: one line per record, in order, values unchanged', () => {
    fc.assert(
      fc.property(jsonTable, ({ columns, rows }) => {
        const records = ownRecords(columns, rows);
        const text = jsonl.encode({ columns, records }, 'jsonlines');
        assert.equal(text.split('\n').length - 1, rows.length);
        const batch = jsonl.decode(utf8(text), opts());
        assert.deepEqual(
          batch.records.map((r) => columns.map((c) => r[c])),
          rows,
        );
        assert.equal(jsonl.encode(batch, batch.shape), text);
      }),
      { numRuns: RUNS },
    );
  });

  it('integer-like JSON keys keep their values (their column moves first, as in any JS object)', () => {
    const batch = json.decode(utf8('[{"review":"x","0":"zero","10":"ten"}]'), opts());
    assert.deepEqual(batch.columns, ['0', '10', 'review']);
    assert.deepEqual(batch.records, [{ 0: 'zero', 10: 'ten', review: 'x' }]);
  });

  it('CSV → JSON → CSV keeps every string cell', () => {
    fc.assert(
      fc.property(
        table(2).filter(({ columns }) => !columns.some(isIndexKey)),
        ({ columns, rows }) => {
          const fromCsv = csv.decode(utf8(csv.encode({ columns, records: toRecords(columns, rows) }, 'csv-header')), opts());
          const viaJson = json.decode(utf8(json.encode(fromCsv, 'json-array')), opts());
          assert.equal(csv.encode(viaJson, 'csv-header'), csv.encode(fromCsv, 'csv-header'));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
