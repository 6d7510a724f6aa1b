/**
 * Property-based fuzzing of every request decoder (CSV with/without header and schema, JSON, JSON
 * Lines), of content negotiation and of hyperparameter parsing. The property is the same for all of
 * them: the call returns a well-formed result, or throws the framework's own error type
 * (RequestError with a 4xx status / TrainingError) with a non-empty message. Any other error type
 * (TypeError, RangeError from a stack overflow, ...) or a hang is a defect.
 *
 * Runs and sizes are bounded so that the whole file stays well under 20 s.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CodecRegistry, CsvCodec, JsonCodec, JsonLinesCodec, type Codec, type DecodeOptions } from '../../framework/codecs/index.js';
import { RequestError, TrainingError } from '../../framework/contract/errors.js';
import type { HyperparameterSchema } from '../../framework/contract/parameters.js';
import type { InputSchema } from '../../framework/contract/records.js';
import { parseHyperparameters } from '../../framework/parameters/parse.js';
import { baselineHyperparameters } from '../../algorithms/baseline/index.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const RUNS = 300;

const csv = new CsvCodec();
const json = new JsonCodec();
const jsonl = new JsonLinesCodec();
const codecs: Codec[] = [csv, json, jsonl];
const registry = new CodecRegistry();

/** What a decoder may legitimately throw. */
function assertRequestError(error: unknown, context: string): void {
  if (!(error instanceof RequestError)) {
    assert.fail(`${context}: expected a RequestError, got ${(error as Error)?.constructor?.name}: ${String((error as Error)?.stack ?? error)}`);
  }
  assert.ok(error.status >= 400 && error.status < 500, `${context}: status ${error.status} is not 4xx`);
  assert.ok(error.message.trim().length > 0, `${context}: empty message`);
  // Messages go to clients: they must never carry a stack.
  assert.doesNotMatch(error.message, /\n\s+at /, `${context}: message carries a stack`);
}

const isCell = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** Decodes and checks the invariants of a successful result or of the error. */
function decodeChecked(codec: Codec, body: Uint8Array, options: DecodeOptions): void {
  let batch;
  try {
    batch = codec.decode(body, options);
  } catch (error) {
    assertRequestError(error, `${codec.mediaType} decode`);
    return;
  }
  const context = `${codec.mediaType} decode of ${JSON.stringify(Buffer.from(body).toString('utf8').slice(0, 200))}`;
  assert.ok(batch.records.length >= 1, `${context}: a successful decode has at least one record`);
  assert.ok(batch.records.length <= options.limits.maxRows, `${context}: ${batch.records.length} rows > maxRows`);
  assert.ok(batch.columns.length <= options.limits.maxColumns, `${context}: ${batch.columns.length} columns > maxColumns`);
  assert.equal(new Set(batch.columns).size, batch.columns.length, `${context}: duplicate columns ${JSON.stringify(batch.columns)}`);
  const columns = new Set(batch.columns);
  for (const record of batch.records) {
    for (const key of Object.keys(record)) {
      assert.ok(columns.has(key), `${context}: record key ${JSON.stringify(key)} is not a column`);
      assert.ok(isCell(record[key]), `${context}: cell ${key} is not a scalar`);
    }
    // Prototype safety: a "__proto__" column stays a plain own key.
    assert.equal(Object.getPrototypeOf(record), Object.prototype, `${context}: record prototype changed`);
  }
  // Every encoder accepts whatever a decoder produced.
  for (const encoder of codecs) {
    const text = encoder.encode({ columns: batch.columns, records: batch.records }, batch.shape);
    assert.equal(typeof text, 'string');
  }
}

// ---------------------------------------------------------------------------------------------
// Generators

/** Fragments that hit the interesting paths of CSV and JSON parsers. */
const hostileFragments = [
  '"',
  '""',
  ',',
  '\n',
  '\r\n',
  '\r',
  '\0',
  '\uFEFF',
  ' ',
  '\t',
  '{',
  '}',
  '[',
  ']',
  ':',
  'a',
  'b',
  'review',
  'rating_binary',
  '__proto__',
  'constructor',
  '1e999',
  '-1e999',
  '-0',
  'NaN',
  'Infinity',
  'null',
  'true',
  '007',
  '"instances"',
  '{"a":',
  '"x"',
  'é',
  '漢字',
  '😀',
  '\uD800',
  '\\',
  '\\u0000',
  '../../etc/passwd',
  'x'.repeat(1000),
];
const hostileText = fc.array(fc.constantFrom(...hostileFragments), { maxLength: 60 }).map((parts) => parts.join(''));

/** Bytes that are not UTF-8 (lone continuation, overlong, truncated sequences, 0xFF). */
const invalidUtf8 = fc
  .tuple(hostileText, fc.constantFrom([0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xff], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80]), fc.nat())
  .map(([text, bad, at]) => {
    const good = utf8(text);
    const cut = good.length === 0 ? 0 : at % good.length;
    return Uint8Array.from([...good.subarray(0, cut), ...bad, ...good.subarray(cut)]);
  });

const anyBody = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  invalidUtf8,
  hostileText.map(utf8),
  fc.string({ unit: 'binary', maxLength: 200 }).map(utf8),
  fc.jsonValue({ maxDepth: 4 }).map((v) => utf8(JSON.stringify(v) ?? 'null')),
);

const columnName = fc.oneof(fc.constantFrom('review', 'rating_binary', 'a', 'b', '__proto__', ' spaced '), fc.string({ maxLength: 6 }));
const schemaArb: fc.Arbitrary<InputSchema | undefined> = fc.option(
  fc
    .uniqueArray(columnName, { minLength: 1, maxLength: 4 })
    .chain((names) => fc.subarray(names).map((required) => ({ columns: names.map((name) => ({ name })), requiredColumns: required }))),
  { nil: undefined },
);
const optionsArb: fc.Arbitrary<DecodeOptions> = fc.record({
  schema: schemaArb,
  mediaParams: fc.constantFrom<Record<string, string>>(
    {},
    { header: 'present' },
    { header: 'absent' },
    { header: 'PRESENT' },
    { header: 'maybe' },
    { charset: 'utf-8' },
  ),
  limits: fc.record({ maxRows: fc.integer({ min: 1, max: 50 }), maxColumns: fc.integer({ min: 1, max: 20 }) }),
});

// ---------------------------------------------------------------------------------------------

describe('fuzz: decoders never fail with anything but a 4xx RequestError', () => {
  for (const codec of codecs) {
    it(`${codec.mediaType}: random bodies, schemas, header params and limits`, () => {
      fc.assert(
        fc.property(anyBody, optionsArb, (body, options) => decodeChecked(codec, body, options)),
        { numRuns: RUNS },
      );
    });
  }

  it('the registry picks a decoder or answers 415, an encoder or 406, for any header text', () => {
    const headerText = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc
        .array(
          fc.constantFrom(
            'text/csv',
            'application/json',
            'application/jsonlines',
            '*/*',
            'text/*',
            ';',
            ',',
            'q=0',
            'q=abc',
            'q=0.5',
            'charset=latin-1',
            'charset="utf-8"',
            'header=present',
            '"',
            '\\',
            ' ',
            '__proto__=1',
          ),
          { maxLength: 12 },
        )
        .map((p) => p.join('')),
    );
    fc.assert(
      fc.property(fc.option(headerText, { nil: undefined }), fc.option(headerText, { nil: undefined }), (contentType, accept) => {
        try {
          const { codec } = registry.decoderFor(contentType);
          assert.ok(codecs.some((c) => c.mediaType === codec.mediaType));
        } catch (error) {
          assertRequestError(error, `decoderFor(${JSON.stringify(contentType)})`);
          assert.equal((error as RequestError).status, 415);
        }
        try {
          const codec = registry.encoderFor(accept, 'text/csv');
          assert.ok(codecs.some((c) => c.mediaType === codec.mediaType));
        } catch (error) {
          assertRequestError(error, `encoderFor(${JSON.stringify(accept)})`);
          assert.equal((error as RequestError).status, 406);
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });

  // Fixed hostile cases at production limits: each must be bounded in time and end in a batch or a 4xx.
  const production: DecodeOptions['limits'] = { maxRows: 100_000, maxColumns: 2_000 };
  const imdbSchema: InputSchema = { columns: [{ name: 'rating_binary' }, { name: 'review' }], requiredColumns: ['review'] };
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  const wide = Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',');
  const cases: Array<{ name: string; codec: Codec; body: string | Uint8Array; schema?: InputSchema; expect: number | 'ok' }> = [
    { name: '100k levels of [ (plain array)', codec: json, body: deep, expect: 400 },
    { name: '100k levels of [ in instances', codec: json, body: `{"instances":${deep}}`, schema: imdbSchema, expect: 400 },
    { name: '100k unclosed [', codec: json, body: '['.repeat(100_000), expect: 400 },
    { name: '100k nested objects in a field', codec: json, body: `[{"a":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_001)}]`, expect: 400 },
    { name: '100k levels in a JSON Lines field', codec: jsonl, body: `{"a":${deep}}`, expect: 400 },
    { name: '10^5 columns in the CSV header', codec: csv, body: `${wide}\n${wide}\n`, expect: 413 },
    { name: '10^5 fields in a CSV data row', codec: csv, body: `a,b\n${wide}\n`, expect: 400 },
    { name: '10^5 header-less fields', codec: csv, body: `${wide}\n`, schema: imdbSchema, expect: 413 },
    { name: '10^5 keys in a JSON record', codec: json, body: `[{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":1`).join(',')}}]`, expect: 413 },
    { name: '10^5 positional values', codec: json, body: `{"instances":[[${Array(100_000).fill('1').join(',')}]]}`, schema: imdbSchema, expect: 413 },
    { name: 'CSV quote left open', codec: csv, body: 'a,b\n"x,y\n1,2\n', expect: 400 },
    { name: 'CSV quote left open, header-less', codec: csv, body: '"great movie\n', schema: imdbSchema, expect: 400 },
    { name: 'CSV NUL bytes are data', codec: csv, body: 'a,b\n\0,x\0y\n', expect: 'ok' },
    { name: 'CSV 5 MB field', codec: csv, body: `a\n${'x'.repeat(5_000_000)}\n`, expect: 'ok' },
    { name: 'JSON 5 MB string', codec: json, body: `[{"a":"${'x'.repeat(5_000_000)}"}]`, expect: 'ok' },
    { name: 'JSON 1e999, -0', codec: json, body: '[{"a":1e999,"b":-0,"c":-1e999}]', expect: 'ok' },
    { name: 'JSON NaN literal', codec: json, body: '[{"a":NaN}]', expect: 400 },
    { name: 'JSON Lines NaN literal', codec: jsonl, body: '{"a":1}\n{"a":NaN}\n', expect: 400 },
    { name: 'JSON __proto__ object value', codec: json, body: '[{"__proto__":{"polluted":1}}]', expect: 400 },
    { name: 'CSV 1,000,000 tiny rows', codec: csv, body: `a\n${'1\n'.repeat(1_000_000)}`, expect: 413 },
    { name: 'JSON Lines 1,000,000 tiny rows', codec: jsonl, body: '{"a":1}\n'.repeat(1_000_000), expect: 413 },
    { name: 'JSON 1,000,000 tiny rows', codec: json, body: `[${Array(1_000_000).fill('{"a":1}').join(',')}]`, expect: 413 },
    { name: 'only a BOM', codec: csv, body: '\uFEFF', expect: 400 },
    { name: 'only whitespace', codec: jsonl, body: ' \n\r\n\t', expect: 400 },
    { name: 'UTF-16LE body', codec: csv, body: Uint8Array.from([0xff, 0xfe, 0x61, 0x00, 0x0a, 0x00]), expect: 400 },
  ];
  for (const c of cases) {
    it(`hostile ${c.codec.mediaType}: ${c.name} → ${c.expect}`, () => {
      const body = typeof c.body === 'string' ? utf8(c.body) : c.body;
      const started = performance.now();
      const options: DecodeOptions = { mediaParams: {}, limits: production, ...(c.schema ? { schema: c.schema } : {}) };
      if (c.expect === 'ok') {
        decodeChecked(c.codec, body, options);
        assert.ok(c.codec.decode(body, options).records.length >= 1);
      } else {
        assert.throws(
          () => c.codec.decode(body, options),
          (error: unknown) => {
            assertRequestError(error, c.name);
            assert.equal((error as RequestError).status, c.expect, (error as Error).message);
            return true;
          },
        );
      }
      assert.ok(performance.now() - started < 5_000, `${c.name} took ${Math.round(performance.now() - started)} ms`);
    });
  }

  it('1e999 decodes to a non-finite number that every encoder writes as null/empty, -0 as 0', () => {
    const batch = json.decode(utf8('[{"a":1e999,"b":-0}]'), { mediaParams: {}, limits: production });
    assert.equal(batch.records[0]!['a'], Infinity);
    assert.deepEqual(JSON.parse(json.encode(batch, 'json-array')), [{ a: null, b: 0 }]);
    assert.equal(jsonl.encode(batch, 'jsonlines'), '{"a":null,"b":0}\n');
  });
});

// ---------------------------------------------------------------------------------------------

/** Schemas shaped like real algorithms' declarations, to fuzz values against every spec type. */
const fuzzSchema = {
  ...baselineHyperparameters,
  count: { type: 'integer', min: 1, max: 1000, description: 'integer with bounds' },
  rate: { type: 'number', min: 0, max: 1, default: 0.5, aliases: ['learning_rate'], description: 'number' },
  flag: { type: 'boolean', default: false, description: 'boolean' },
  sizes: { type: 'list', items: 'integer', min: 1, max: 100, minItems: 1, maxItems: 5, description: 'list of integers' },
  weights: { type: 'list', items: 'number', description: 'list of numbers' },
  name: { type: 'string', required: true, description: 'required string' },
} as const satisfies HyperparameterSchema;

const hyperparameterKeys = [
  ...Object.keys(fuzzSchema),
  'output_column',
  'input_columns',
  'learning_rate',
  'sagemaker_region',
  '_tuning_objective_metric',
  '__proto__',
  'constructor',
  'toString',
  'num_epoch',
  'x'.repeat(300),
];
const deepArray = (depth: number): unknown => {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};
const hyperparameterValue = fc.oneof(
  hostileText,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '1e999',
    '-0',
    'NaN',
    'Infinity',
    '0x10',
    '',
    ' ',
    '[',
    '[1,2',
    '["a",1]',
    '[[1]]',
    '1,,2',
    'true',
    'YES',
    '"quoted"',
    '9007199254740993',
    '1.5',
    '-1',
    '1e3',
    '[1e999]',
    `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`,
    '['.repeat(50_000),
  ),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant(deepArray(20_000)),
);
const rawHyperparameters = fc.array(fc.tuple(fc.constantFrom(...hyperparameterKeys), hyperparameterValue), { maxLength: 8 }).map((entries) => {
  // Built like JSON.parse builds objects: "__proto__" becomes an own key, not the prototype.
  const raw: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(raw, key, { value, enumerable: true, writable: true, configurable: true });
  return raw;
});

/** What parseHyperparameters may legitimately throw. */
function assertTrainingError(error: unknown, raw: unknown): void {
  const shown = (() => {
    try {
      return JSON.stringify(raw)?.slice(0, 300);
    } catch {
      return '(unprintable)';
    }
  })();
  if (!(error instanceof TrainingError)) {
    assert.fail(`parseHyperparameters(${shown}): expected a TrainingError, got ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  }
  assert.ok(error.message.trim().length > 0);
  // The message names what was wrong; a value is shown truncated, so it stays readable.
  assert.match(error.message, /hyperparameter/);
  for (const line of error.message.split('\n')) assert.ok(line.length < 2_000, `line of ${line.length} chars in the failure message`);
}

describe('fuzz: parseHyperparameters ends in a typed result or a TrainingError', () => {
  it('random keys and hostile values against every spec type', () => {
    fc.assert(
      fc.property(rawHyperparameters, (raw) => {
        let parsed: Record<string, unknown>;
        try {
          parsed = parseHyperparameters(fuzzSchema, raw);
        } catch (error) {
          assertTrainingError(error, raw);
          return;
        }
        assert.equal(typeof parsed['name'], 'string');
        assert.ok(Number.isSafeInteger(parsed['count']) || parsed['count'] === undefined);
        if (parsed['count'] !== undefined) assert.ok((parsed['count'] as number) >= 1 && (parsed['count'] as number) <= 1000);
        assert.ok(Number.isFinite(parsed['rate']) && (parsed['rate'] as number) >= 0 && (parsed['rate'] as number) <= 1);
        assert.equal(typeof parsed['flag'], 'boolean');
        for (const w of (parsed['weights'] as number[] | undefined) ?? []) assert.ok(Number.isFinite(w));
        const sizes = parsed['sizes'] as number[] | undefined;
        if (sizes) assert.ok(sizes.length >= 1 && sizes.length <= 5 && sizes.every((s) => Number.isSafeInteger(s) && s >= 1 && s <= 100));
        for (const key of Object.keys(parsed)) assert.ok(Object.hasOwn(fuzzSchema, key), `unexpected key ${key}`);
        assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
      }),
      { numRuns: RUNS },
    );
  });

  const numberCases: Array<[string, string]> = [
    ['1e999', 'out of the range of a 64-bit float'],
    ['-1e999', 'out of the range of a 64-bit float'],
    ['NaN', 'expected an integer between 1 and 1000'],
    ['Infinity', 'expected an integer between 1 and 1000'],
    ['-0', 'expected an integer between 1 and 1000'],
    ['9007199254740993', 'too large to be represented exactly'],
    ['1.5', 'expected an integer between 1 and 1000'],
  ];
  for (const [value, expected] of numberCases) {
    it(`count = ${value} is refused with "${expected}"`, () => {
      assert.throws(
        () => parseHyperparameters(fuzzSchema, { name: 'n', count: value }),
        (error: unknown) => {
          assert.ok(error instanceof TrainingError);
          assert.ok(error.message.includes(`"count" = "${value}"`), error.message);
          assert.ok(error.message.includes(expected), error.message);
          return true;
        },
      );
    });
  }

  it('a list value nested 100k levels deep is refused with a TrainingError (not a stack overflow)', () => {
    const value = `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`;
    assert.throws(
      () => parseHyperparameters(fuzzSchema, { name: 'n', sizes: value }),
      (error: unknown) => {
        assertTrainingError(error, value.slice(0, 10));
        assert.match((error as Error).message, /"sizes"/);
        return true;
      },
    );
  });

  it('an unknown key holding a deeply nested JSON value (local hyperparameters.json) is refused with a TrainingError', () => {
    assert.throws(
      () => parseHyperparameters(fuzzSchema, { name: 'n', extra: deepArray(100_000) }),
      (error: unknown) => {
        assertTrainingError(error, 'deep');
        assert.match((error as Error).message, /unknown hyperparameter "extra"/);
        return true;
      },
    );
  });

  it('a 1 MB key or value does not flood the failure message', () => {
    const big = 'k'.repeat(1_000_000);
    const started = performance.now();
    assert.throws(
      () => parseHyperparameters(fuzzSchema, { name: 'n', count: big }),
      (error: unknown) => {
        assertTrainingError(error, 'big');
        return true;
      },
    );
    assert.ok(performance.now() - started < 2_000);
  });
});
