import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CodecRegistry, CsvCodec, JsonCodec, JsonLinesCodec, type DecodeOptions } from '../../framework/codecs/index.js';
import Papa from 'papaparse';
import { quoteInput } from '../../framework/codecs/codec.js';
import { splitPlainCsv } from '../../framework/codecs/csv.js';
import { CSV_DIALECT } from '../../framework/codecs/csv-dialect.js';
import { RequestError } from '../../framework/contract/errors.js';
import type { InputSchema } from '../../framework/contract/records.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const limits = { maxRows: 100, maxColumns: 20 };
const schema: InputSchema = {
  columns: [{ name: 'review' }, { name: 'rating_binary' }],
  requiredColumns: ['review'],
};
const opts = (extra: Partial<DecodeOptions> = {}): DecodeOptions => ({ mediaParams: {}, limits, ...extra });

/** Asserts a RequestError with the status whose message matches every pattern. */
function rejects(fn: () => unknown, status: number, ...patterns: (string | RegExp)[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RequestError, `expected RequestError, got ${String(error)}`);
    assert.equal(error.status, status, error.message);
    for (const p of patterns) {
      if (typeof p === 'string') assert.ok(error.message.includes(p), `"${error.message}" should include "${p}"`);
      else assert.match(error.message, p);
    }
    return true;
  });
}

describe('CSV decode', () => {
  const csv = new CsvCodec();

  it('uses the first row as header when no schema is given', () => {
    const batch = csv.decode(utf8('a,b\n1,2\n3,4\n'), opts());
    assert.equal(batch.shape, 'csv-header');
    assert.deepEqual(batch.columns, ['a', 'b']);
    assert.deepEqual(batch.records, [
      { a: '1', b: '2' },
      { a: '3', b: '4' },
    ]);
  });

  it('detects a header containing the required columns (any order, extra columns)', () => {
    const batch = csv.decode(utf8('extra,review\nx,great\n'), opts({ schema }));
    assert.equal(batch.shape, 'csv-header');
    assert.deepEqual(batch.records, [{ extra: 'x', review: 'great' }]);
  });

  it('maps header-less rows to all columns or to the required columns by field count', () => {
    const all = csv.decode(utf8('good film,1\nbad,0\n'), opts({ schema }));
    assert.equal(all.shape, 'csv-headerless');
    assert.deepEqual(all.columns, ['review', 'rating_binary']);
    assert.deepEqual(all.records[1], { review: 'bad', rating_binary: '0' });
    const required = csv.decode(utf8('good film\nbad\n'), opts({ schema }));
    assert.deepEqual(required.columns, ['review']);
    assert.deepEqual(required.records, [{ review: 'good film' }, { review: 'bad' }]);
  });

  it('reports header-less rows that fit no mapping with line and expected counts', () => {
    rejects(
      () => csv.decode(utf8('a,b,c,d\n'), opts({ schema })),
      400,
      'CSV line 1 has 4 fields, but without a header the model expects 2 (review, rating_binary) or 1 (review)',
    );
    rejects(() => csv.decode(utf8('x,1\ny\n'), opts({ schema })), 400, 'CSV line 2 has 1 fields, but line 1 has 2');
  });

  it('honours header=present and header=absent media parameters', () => {
    // "review" as the first cell would be detected as a header; header=absent forces data.
    const absent = csv.decode(utf8('review\nok\n'), opts({ schema, mediaParams: { header: 'absent' } }));
    assert.equal(absent.shape, 'csv-headerless');
    assert.deepEqual(absent.records, [{ review: 'review' }, { review: 'ok' }]);
    const present = csv.decode(utf8('text,score\nok,1\n'), opts({ schema, mediaParams: { header: 'Present' } }));
    assert.equal(present.shape, 'csv-header');
    assert.deepEqual(present.records, [{ text: 'ok', score: '1' }]);
    rejects(() => csv.decode(utf8('a\n1\n'), opts({ mediaParams: { header: 'maybe' } })), 400, 'header="maybe"');
  });

  it('rejects header-less CSV without a schema', () => {
    rejects(() => csv.decode(utf8('1,2\n'), opts({ mediaParams: { header: 'absent' } })), 400, 'no model schema');
  });

  it('handles quotes, embedded newlines and commas, unicode, leading zeros, CRLF', () => {
    const body = 'id,text,zip\r\n1,"hello, ""world""","007"\r\n2,"line1\r\nline2",00501\r\n3,"héllo 😀 日本",\r\n';
    const batch = csv.decode(utf8(body), opts());
    assert.deepEqual(batch.records, [
      { id: '1', text: 'hello, "world"', zip: '007' },
      { id: '2', text: 'line1\r\nline2', zip: '00501' },
      { id: '3', text: 'héllo 😀 日本', zip: '' },
    ]);
    const again = csv.decode(utf8(csv.encode(batch, 'csv-header')), opts());
    assert.deepEqual(again.records, batch.records);
  });

  it('strips a BOM and trailing blank lines', () => {
    const batch = csv.decode(utf8('\uFEFFa,b\n1,2\n3,4\n\n'), opts());
    assert.deepEqual(batch.columns, ['a', 'b']);
    assert.equal(batch.records.length, 2);
  });

  it('keeps a blank line in the middle as a record (one output line per input line), or names it when it cannot be one', () => {
    const single = csv.decode(utf8('a\n1\n\n3\n'), opts());
    assert.deepEqual(single.records, [{ a: '1' }, { a: '' }, { a: '3' }]);
    rejects(() => csv.decode(utf8('a,b\n1,2\n\n3,4\n'), opts()), 400, 'CSV line 3 has 1 fields, but the header (line 1) has 2');
  });

  it('reports ragged rows with their starting line, counting embedded newlines and blank lines', () => {
    rejects(() => csv.decode(utf8('a,b\n1,2\n3\n'), opts()), 400, 'CSV line 3 has 1 fields, but the header (line 1) has 2');
    rejects(() => csv.decode(utf8('a,b\r\n1,"x\r\ny"\r\n1,2,3\r\n'), opts()), 400, 'CSV line 4 has 3 fields');
    rejects(() => csv.decode(utf8('a,b\r\n1,"x\r\ny"\r\n\r\n1,2\r\n'), opts()), 400, 'CSV line 4 has 1 fields');
  });

  it('reports an unclosed quote and a bad closing quote with their lines', () => {
    rejects(() => csv.decode(utf8('a,b\n1,2\n3,"open\n'), opts()), 400, /^invalid CSV at line 3: a quoted field is never closed/);
    rejects(
      () => csv.decode(utf8('a,b\r\n1,"x\r\ny"\r\n3,"4"x\r\n'), opts()),
      400,
      /^invalid CSV at line 4: a quoted field's closing quote is followed by other characters/,
    );
  });

  it('takes a quote inside an unquoted cell literally (as spreadsheets and most readers do)', () => {
    assert.deepEqual(csv.decode(utf8('a,b\n1,6" tall\n'), opts()).records, [{ a: '1', b: '6" tall' }]);
  });

  it('rejects duplicate and empty header names, naming them', () => {
    rejects(() => csv.decode(utf8('a,b,a\n1,2,3\n'), opts()), 400, 'duplicate column names: "a"');
    rejects(() => csv.decode(utf8('a,,c\n1,2,3\n'), opts()), 400, 'empty column name at position 2');
  });

  it('rejects invalid UTF-8 and empty bodies', () => {
    rejects(() => csv.decode(new Uint8Array([0x61, 0x0a, 0xff, 0xfe, 0x0a]), opts()), 400, 'body is not valid UTF-8');
    rejects(() => csv.decode(utf8(''), opts()), 400, 'empty body');
    rejects(() => csv.decode(utf8(' \n\r\n '), opts()), 400, 'empty body');
    rejects(() => csv.decode(utf8('a,b\n'), opts()), 400, 'no data rows');
    // A body cut inside a multi-byte character is refused, and leaves nothing behind for the next one.
    rejects(() => csv.decode(new Uint8Array([0x61, 0x0a, 0x62, 0xc3]), opts()), 400, 'body is not valid UTF-8');
    assert.deepEqual(csv.decode(utf8('a\n\u00e9t\u00e9\n'), opts()).records, [{ a: '\u00e9t\u00e9' }]);
  });

  it('enforces row and column limits with 413', () => {
    const small = { maxRows: 2, maxColumns: 3 };
    rejects(() => csv.decode(utf8('a\n1\n2\n3\n'), opts({ limits: small })), 413, 'more than 2 records');
    assert.equal(csv.decode(utf8('a\n1\n2\n'), opts({ limits: small })).records.length, 2);
    rejects(() => csv.decode(utf8('a,b,c,d\n1,2,3,4\n'), opts({ limits: small })), 413, 'limit of 3');
  });

  it('keeps a "__proto__" column as a plain key', () => {
    const batch = csv.decode(utf8('__proto__,b\nx,y\n'), opts());
    assert.equal(Object.getPrototypeOf(batch.records[0]), Object.prototype);
    assert.deepEqual(Object.keys(batch.records[0]!), ['__proto__', 'b']);
  });
});

describe('CSV encode', () => {
  const csv = new CsvCodec();
  const batch = {
    columns: ['label', 'scores', 'n', 'missing'],
    records: [
      { label: 'a,b', scores: [0.5, { k: 'x' }], n: 1.5, missing: null },
      { label: 'say "hi"\nbye', n: NaN },
    ],
  };

  it('writes a header only when the request had one, in batch.columns order', () => {
    const withHeader = csv.encode(batch, 'csv-header');
    assert.equal(withHeader, 'label,scores,n,missing\n"a,b","[0.5,{""k"":""x""}]",1.5,\n"say ""hi""\nbye",,NaN,\n');
    const without = csv.encode(batch, 'csv-headerless');
    assert.ok(without.startsWith('"a,b",'));
    assert.ok(without.endsWith('\n'));
    assert.equal(csv.encode({ columns: ['x'], records: [{ x: 1 }] }, 'json-instances'), '1\n');
  });
});

describe('JSON decode', () => {
  const json = new JsonCodec();

  it('accepts {"instances": [objects]} and collects columns in order of first appearance', () => {
    const batch = json.decode(utf8('{"instances": [{"a": 1, "b": "x"}, {"c": null, "a": true}]}'), opts());
    assert.equal(batch.shape, 'json-instances');
    assert.deepEqual(batch.columns, ['a', 'b', 'c']);
    assert.deepEqual(batch.records, [
      { a: 1, b: 'x' },
      { c: null, a: true },
    ]);
  });

  it('accepts a plain array of objects', () => {
    const batch = json.decode(utf8('[{"review": "ok"}]'), opts());
    assert.equal(batch.shape, 'json-array');
    assert.deepEqual(batch.records, [{ review: 'ok' }]);
  });

  it('maps positional instances through the schema', () => {
    const batch = json.decode(utf8('{"instances": [["fine", 1], ["bad", 0]]}'), opts({ schema }));
    assert.deepEqual(batch.columns, ['review', 'rating_binary']);
    assert.deepEqual(batch.records[0], { review: 'fine', rating_binary: 1 });
    const required = json.decode(utf8('{"instances": [["fine"]]}'), opts({ schema }));
    assert.deepEqual(required.records, [{ review: 'fine' }]);
    rejects(
      () => json.decode(utf8('{"instances": [["a","b","c"]]}'), opts({ schema })),
      400,
      'instance 0 (0-based) has 3 values',
      '2 (review, rating_binary) or 1 (review)',
    );
    rejects(() => json.decode(utf8('{"instances": [["a"]]}'), opts()), 400, 'no model schema');
  });

  it('rejects nested values naming the 0-based record and the field', () => {
    rejects(() => json.decode(utf8('[{"a": 1}, {"a": 2, "b": {"x": 1}}]'), opts()), 400, 'record 1 (0-based), field "b"', 'an object');
    rejects(() => json.decode(utf8('{"instances": [{"a": [1]}]}'), opts()), 400, 'instance 0 (0-based), field "a"', 'an array');
  });

  it('survives deep nesting', () => {
    const deep = '['.repeat(50000) + ']'.repeat(50000);
    rejects(() => json.decode(utf8(`{"instances": [{"a": ${deep}}]}`), opts()), 400, 'field "a"');
  });

  it('rejects other shapes, describing the accepted ones', () => {
    for (const body of ['42', '"text"', '{"rows": []}', '[1, 2]', '[[1, 2]]', '{"instances": 3}', 'null']) {
      rejects(() => json.decode(utf8(body), opts()), 400, /expected|instances/);
    }
    rejects(() => json.decode(utf8('{"rows": []}'), opts()), 400, 'an object without "instances"', '{"instances": [{...}, ...]}');
    rejects(() => json.decode(utf8('[{"a":1}, 2]'), opts()), 400, 'element 1 (0-based) is a number');
    rejects(() => json.decode(utf8('{"instances": [{"a":1}, [1]]}'), opts()), 400, 'all objects or all arrays');
    rejects(() => json.decode(utf8('{"instances": [}'), opts()), 400, 'body is not valid JSON');
    rejects(() => json.decode(utf8('[]'), opts()), 400, 'no records');
  });

  it('enforces limits with 413', () => {
    rejects(() => json.decode(utf8('[{"a":1},{"a":2},{"a":3}]'), opts({ limits: { maxRows: 2, maxColumns: 5 } })), 413, 'more than 2');
    rejects(() => json.decode(utf8('[{"a":1},{"b":2},{"c":3}]'), opts({ limits: { maxRows: 5, maxColumns: 2 } })), 413, 'limit of 2');
  });
});

describe('JSON encode', () => {
  const json = new JsonCodec();
  const batch = { columns: ['p'], records: [{ p: NaN, q: Infinity, r: [1, -Infinity] }] };

  it('mirrors the request envelope and turns non-finite numbers into null', () => {
    assert.equal(json.encode(batch, 'json-array'), '[{"p":null,"q":null,"r":[1,null]}]');
    assert.equal(json.encode(batch, 'json-instances'), '{"instances":[{"p":null,"q":null,"r":[1,null]}]}');
    assert.deepEqual(JSON.parse(json.encode(batch, 'csv-header')), { instances: [{ p: null, q: null, r: [1, null] }] });
  });
});

describe('JSON Lines', () => {
  const jsonl = new JsonLinesCodec();

  it('decodes one object per non-empty line', () => {
    const batch = jsonl.decode(utf8('{"a":1}\r\n\n{"b":"x","a":2}\n'), opts());
    assert.equal(batch.shape, 'jsonlines');
    assert.deepEqual(batch.columns, ['a', 'b']);
    assert.deepEqual(batch.records, [{ a: 1 }, { b: 'x', a: 2 }]);
  });

  it('names the 1-based line of a bad line', () => {
    rejects(() => jsonl.decode(utf8('{"a":1}\n\n{"a":\n'), opts()), 400, 'JSON Lines line 3 is not valid JSON');
    rejects(() => jsonl.decode(utf8('{"a":1}\n[1]\n'), opts()), 400, 'JSON Lines line 2 is an array');
    rejects(() => jsonl.decode(utf8('{"a":1}\n\n{"a":{"b":1}}\n'), opts()), 400, 'JSON Lines line 3, field "a"');
    rejects(() => jsonl.decode(utf8('{}\n{}\n{}\n'), opts({ limits: { maxRows: 2, maxColumns: 2 } })), 413);
  });

  it('encodes one object per line with a trailing newline', () => {
    assert.equal(jsonl.encode({ columns: ['a'], records: [{ a: 1 }, { a: NaN, b: [1] }] }, 'jsonlines'), '{"a":1}\n{"a":null,"b":[1]}\n');
  });
});

describe('CodecRegistry', () => {
  const registry = new CodecRegistry();

  it('lists supported types and parses media types', () => {
    assert.deepEqual(registry.supportedTypes(), ['text/csv', 'application/json', 'application/jsonlines']);
    assert.deepEqual(registry.parseMediaType(' Text/CSV ; Header=present; charset="utf-8" '), {
      type: 'text/csv',
      params: { header: 'present', charset: 'utf-8' },
    });
    assert.deepEqual(registry.parseMediaType('a/b; x="1;2"'), { type: 'a/b', params: { x: '1;2' } });
    assert.deepEqual(registry.parseMediaType(undefined), { type: '', params: {} });
  });

  it('picks decoders, including aliases, and returns the params', () => {
    const { codec, params } = registry.decoderFor('text/csv; header=absent');
    assert.equal(codec.mediaType, 'text/csv');
    assert.deepEqual(params, { header: 'absent' });
    assert.equal(registry.decoderFor('application/jsonl').codec.mediaType, 'application/jsonlines');
    assert.equal(registry.decoderFor('application/x-jsonlines').codec.mediaType, 'application/jsonlines');
  });

  it('answers 415 listing the supported types', () => {
    rejects(
      () => registry.decoderFor('text/plain'),
      415,
      'unsupported Content-Type "text/plain"; supported: text/csv, application/json, application/jsonlines',
    );
    rejects(() => registry.decoderFor(undefined), 415, 'missing Content-Type');
    rejects(() => registry.decoderFor('application/json', ['text/csv']), 415, 'supported: text/csv');
    rejects(() => registry.decoderFor('text/csv; charset=latin1'), 415, 'charset "latin1"');
  });

  it('negotiates by q-value, specificity and wildcards', () => {
    const type = (accept: string | undefined, request = 'text/csv', produces?: string[]) => registry.encoderFor(accept, request, produces).mediaType;
    assert.equal(type(undefined, 'application/json'), 'application/json');
    assert.equal(type('*/*', 'application/jsonl'), 'application/jsonlines');
    assert.equal(type('text/csv;q=0.5, application/json'), 'application/json');
    assert.equal(type('text/csv, application/json', 'application/json'), 'text/csv');
    assert.equal(type('application/*', 'text/csv'), 'application/json');
    assert.equal(type('text/*;q=0.9, */*;q=0.1', 'application/json'), 'text/csv');
    assert.equal(type('*/*, text/csv;q=0', 'text/csv'), 'application/json');
    assert.equal(type('application/x-jsonlines'), 'application/jsonlines');
    assert.equal(type(undefined, 'text/csv', ['application/json']), 'application/json');
    assert.equal(type('*/*', 'text/csv', ['application/jsonlines']), 'application/jsonlines');
  });

  it('negotiate() combines both, remembers outcomes per header pair and per algorithm', () => {
    const memo = new CodecRegistry();
    const csvOnly = { produces: ['text/csv'] };
    const first = memo.negotiate('text/csv; header=absent', 'application/json');
    assert.equal(first.decoder.mediaType, 'text/csv');
    assert.equal(first.encoder.mediaType, 'application/json');
    assert.deepEqual(first.params, { header: 'absent' });
    assert.ok(Object.isFrozen(first.params), 'params are shared between requests');
    assert.equal(memo.negotiate('text/csv; header=absent', 'application/json'), first, 'same headers: remembered outcome');
    // The same headers for an algorithm that produces only CSV: a different outcome (406 here).
    rejects(() => memo.negotiate('text/csv; header=absent', 'application/json', csvOnly), 406, 'can produce: text/csv');
    assert.equal(memo.negotiate('text/csv', undefined, csvOnly).encoder.mediaType, 'text/csv');
    // An absent Accept and an empty one both mean "like the request"; an absent Content-Type is still a 415 every time.
    assert.equal(memo.negotiate('application/json', '').encoder.mediaType, 'application/json');
    assert.equal(memo.negotiate('application/json', undefined).encoder.mediaType, 'application/json');
    rejects(() => memo.negotiate(undefined, 'text/csv'), 415, 'missing Content-Type');
    rejects(() => memo.negotiate(undefined, 'text/csv'), 415, 'missing Content-Type');
    // Many distinct headers (a client varying them) keep answering correctly past the memo's size.
    for (let i = 0; i < 200; i++) {
      const n = memo.negotiate(`application/json; x=${i}`, undefined);
      assert.equal(n.params['x'], String(i));
    }
  });

  it('answers 406 listing what can be produced', () => {
    rejects(() => registry.encoderFor('text/plain', 'text/csv'), 406, 'can produce: text/csv, application/json, application/jsonlines');
    rejects(() => registry.encoderFor('text/csv', 'text/csv', ['application/json']), 406, 'can produce: application/json');
    rejects(() => registry.encoderFor('*/*;q=0', 'text/csv'), 406);
  });
});

describe('error messages quote at most 100 characters of request data', () => {
  const huge = 'k'.repeat(6_000_000);
  const small = (error: unknown): boolean => {
    assert.ok(error instanceof RequestError, String(error));
    assert.equal(error.status, 400);
    assert.ok(error.message.length < 1024, `message of ${error.message.length} characters`);
    return true;
  };

  it('quoteInput: short text quoted as is; long text cut at 100 characters with … and its length, never inside a surrogate pair', () => {
    assert.equal(quoteInput('abc'), '"abc"');
    assert.equal(quoteInput('x'.repeat(100)), `"${'x'.repeat(100)}"`);
    assert.equal(quoteInput('x'.repeat(101)), `"${'x'.repeat(100)}…" (101 characters)`);
    assert.equal(quoteInput(`${'x'.repeat(99)}😀tail`), `"${'x'.repeat(99)}…" (105 characters)`);
  });

  it('a JSON body with a 6 MB key: a 400 under 1 KB that quotes the start of the key and its length', () => {
    const body = utf8(`{"instances": [{"${huge}": {"nested": 1}}]}`);
    assert.throws(() => new JsonCodec().decode(body, opts()), small);
    rejects(() => new JsonCodec().decode(body, opts()), 400, `instance 0 (0-based), field "${'k'.repeat(100)}…" (6000000 characters): got an object`);
  });

  it('the same for JSON Lines, and for a JSON syntax error next to a 6 MB key', () => {
    assert.throws(() => new JsonLinesCodec().decode(utf8(`{"${huge}": [1]}\n`), opts()), small);
    rejects(() => new JsonLinesCodec().decode(utf8(`{"${huge}": [1]}\n`), opts()), 400, `JSON Lines line 1, field "${'k'.repeat(100)}…"`);
    assert.throws(() => new JsonCodec().decode(utf8(`{"${huge}" 1}`), opts()), small);
    assert.throws(() => new JsonLinesCodec().decode(utf8(`{"${huge}" 1}`), opts()), small);
  });

  it('a CSV header with a 6 MB duplicate name, or with many duplicates: a 400 under 1 KB', () => {
    assert.throws(() => new CsvCodec().decode(utf8(`${huge},b,${huge}\n1,2,3\n`), opts()), small);
    rejects(() => new CsvCodec().decode(utf8(`${huge},b,${huge}\n1,2,3\n`), opts()), 400, `duplicate column names: "${'k'.repeat(100)}…" (6000000 characters)`);
    const names = Array.from({ length: 15 }, (_, i) => `c${i}`);
    const header = [...names, ...names].join(',');
    const row = names.map(() => '1,1').join(',');
    rejects(() => new CsvCodec().decode(utf8(`${header}\n${row}\n`), opts({ limits: { maxRows: 10, maxColumns: 100 } })), 400, '"c9" and 5 more');
  });

  it('an unsupported header= parameter is quoted capped too', () => {
    assert.throws(() => new CsvCodec().decode(utf8('a\n1\n'), opts({ mediaParams: { header: huge } })), small);
    rejects(
      () => new CsvCodec().decode(utf8('a\n1\n'), opts({ mediaParams: { header: 'maybe' } })),
      400,
      'Content-Type parameter header="maybe" is not supported',
    );
  });
});

describe('text/csv decoding without quotes (the split path)', () => {
  it('splits exactly as papaparse does, for random quote-free bodies and row limits', () => {
    const pieces = ['', 'a', 'b c', ' x ', ',', ',,', '\n', '\n\n', 'é', '\t', '1.5', "it's"];
    let seed = 11;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let trial = 0; trial < 500; trial++) {
      const text = Array.from({ length: random(30) }, () => pieces[random(pieces.length)]).join('');
      const limit = 1 + random(12);
      const expected = Papa.parse<string[]>(text, { ...CSV_DIALECT, newline: '\n', preview: limit }).data;
      assert.deepEqual(splitPlainCsv(text, limit), expected, JSON.stringify({ text, limit }));
    }
  });
});

describe('text/csv encoding of rows (the wide-table path)', () => {
  const codec = new CsvCodec();
  // Cells that need quoting, outer spaces, nested values, numbers, null: rows must encode exactly as records do.
  const pieces: unknown[] = [
    '',
    'a',
    'b c',
    ' lead',
    'trail ',
    'x,y',
    'say "hi"',
    'two\nlines',
    'cr\r',
    '\ufeffbom',
    'a , b',
    1.5,
    -0,
    NaN,
    null,
    true,
    { k: [1] },
    ['p', 'q'],
    12345678901234567890n,
  ];
  it('writes the same text as the record path, for random rows of awkward cells', () => {
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let trial = 0; trial < 200; trial++) {
      const width = 1 + random(trial % 2 === 0 ? 6 : 24);
      const columns = Array.from({ length: width }, (_, i) => (i === 0 && trial % 3 === 0 ? 'name, "quoted"' : `c${i}`));
      // Some batches long enough for narrow rows to stop joining first (encodeRows' trial rows).
      const rows = Array.from({ length: 1 + random(trial % 5 === 0 ? 300 : 4) }, () => Array.from({ length: width }, () => pieces[random(pieces.length)]));
      const records = rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
      for (const shape of ['csv-header', 'csv-headerless'] as const) {
        assert.equal(
          codec.encode({ columns, rows }, shape),
          codec.encode({ columns, records }, shape),
          JSON.stringify({ columns, rows }, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)),
        );
      }
    }
  });

  it('writes long answers (several chunks of lines) as the record path does', () => {
    const columns = ['a', 'b'];
    for (const count of [4095, 4096, 4097, 9000]) {
      const rows = Array.from({ length: count }, (_, i) => [i % 7 === 0 ? 'x,y' : `r${i}`, i % 3 === 0 ? null : i / 8]);
      const records = rows.map(([a, b]) => ({ a, b }));
      for (const shape of ['csv-header', 'csv-headerless'] as const) {
        assert.equal(codec.encode({ columns, rows }, shape), codec.encode({ columns, records }, shape), `${count} rows, ${shape}`);
      }
    }
  });

  it('decodes a header row into rows of every cell and records of the model’s columns only', () => {
    const schema = { columns: [{ name: 'b' }], requiredColumns: ['b'] };
    const batch = codec.decode(new TextEncoder().encode('a,b,c\n1,2,3\n4,,6\n'), { schema, mediaParams: {}, limits: { maxRows: 10, maxColumns: 10 } });
    assert.deepEqual(batch.columns, ['a', 'b', 'c']);
    assert.deepEqual(batch.rows, [
      ['1', '2', '3'],
      ['4', '', '6'],
    ]);
    assert.deepEqual(batch.records, [{ b: '2' }, { b: '' }]);
  });
});

describe('JSON and JSON Lines encoding of rows', () => {
  it('writes the same text as the record path (a later duplicate column wins, as in a record)', () => {
    const columns = ['a', 'b', 'a', 'c'];
    const rows = [
      ['x', 1, 'y', null],
      ['"q"', { k: [1, 2] }, NaN, 'z\n'],
    ];
    const records = rows.map((row) => {
      const record: Record<string, unknown> = {};
      columns.forEach((c, i) => (record[c] = row[i]));
      return record;
    });
    for (const [codec, shape] of [
      [new JsonCodec(), 'json-instances'],
      [new JsonCodec(), 'json-array'],
      [new JsonLinesCodec(), 'jsonlines'],
    ] as const) {
      assert.equal(codec.encode({ columns, rows }, shape), codec.encode({ columns, records }, shape));
    }
  });
});
