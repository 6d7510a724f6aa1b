/**
 * readCsv (framework/codecs/csv-stream.ts) against two references: csv-parse/sync, the established
 * reader, on valid CSV; and papaparse on the whole text, the way CsvCodec parses a body, on any
 * text (malformed too: same first error, same line). Inputs are cut into byte chunks anywhere
 * (inside quoted fields, CRLF pairs and multi-byte characters) and parsed in small windows.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import Papa from 'papaparse';
import { parse } from 'csv-parse/sync';
import { CsvReadError, readCsv, type CsvReadOptions } from '../../framework/codecs/csv-stream.js';
import { CSV_DIALECT, guessLineBreak, lineAt, lineBreakOf, type CsvLineBreak } from '../../framework/codecs/csv-dialect.js';

const RUNS = 300;

interface Read {
  rows: string[][];
  lines: number[];
}

/** All rows of the chunks and the line each starts on. */
async function read(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, options: Partial<CsvReadOptions> = {}): Promise<Read> {
  const rows: string[][] = [];
  const lines: number[] = [];
  for await (const batch of readCsv(chunks, { source: 'test.csv', ...options })) {
    batch.rows.forEach((row, i) => {
      rows.push(row);
      lines.push(batch.lineOf(i));
    });
  }
  return { rows, lines };
}

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** The bytes cut before each of the given offsets. */
function cut(data: Uint8Array, offsets: number[]): Uint8Array[] {
  if (offsets[0] === -1) offsets = [...data.keys()];
  const points = [...new Set(offsets.map((o) => Math.min(o, data.length)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    chunks.push(data.subarray(start, point));
    start = point;
  }
  return chunks;
}

/** Every way of reading that must give the same result: whole, byte by byte, and windows of 1 to 7 characters. */
async function readAllWays(text: string, options: Partial<CsvReadOptions> = {}): Promise<Read> {
  const data = bytes(text);
  const whole = await read([data], options);
  const lineBreak = guessLineBreak(text);
  for (const windowChars of [1, 2, 3, 7]) {
    const byByte = await read(cut(data, [...data.keys()]), { ...options, windowChars, lineBreak });
    assert.deepEqual(byByte, whole, `windows of ${windowChars}, one byte per chunk: ${JSON.stringify(text)}`);
  }
  return whole;
}

async function rejects(text: string | Uint8Array[], problem: string, line: number, message: RegExp, options: Partial<CsvReadOptions> = {}): Promise<void> {
  const chunks = typeof text === 'string' ? [bytes(text)] : text;
  await assert.rejects(read(chunks, options), (error: unknown) => {
    assert.ok(error instanceof CsvReadError, `expected CsvReadError, got ${String(error)}`);
    assert.equal(error.problem, problem);
    assert.equal(error.line, line, error.message);
    assert.match(error.message, message);
    return true;
  });
}

/** csv-parse in the same dialect: quotes inside unquoted cells are data, rows may differ in length. */
function csvParse(text: string, skipEmptyLines = false): string[][] {
  return parse(text, { bom: true, relax_quotes: true, relax_column_count: true, skip_empty_lines: skipEmptyLines }) as string[][];
}

describe('readCsv: fixed cases', () => {
  const cases: Array<[string, string, string[][], number[]]> = [
    [
      'plain, trailing newline',
      'a,b\n1,2\n',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
      [1, 2],
    ],
    [
      'no trailing newline',
      'a,b\n1,2',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
      [1, 2],
    ],
    [
      'quotes, escaped quotes, delimiters in quotes',
      'x,y\n"a, b","say ""hi"""\n',
      [
        ['x', 'y'],
        ['a, b', 'say "hi"'],
      ],
      [1, 2],
    ],
    [
      'embedded newlines count as lines',
      'a,b\n"1\n2\n3",x\ny,z\n',
      [
        ['a', 'b'],
        ['1\n2\n3', 'x'],
        ['y', 'z'],
      ],
      [1, 2, 5],
    ],
    [
      'CRLF, with CRLF in a quoted cell',
      'a,b\r\n"x\r\ny",1\r\n2,3\r\n',
      [
        ['a', 'b'],
        ['x\r\ny', '1'],
        ['2', '3'],
      ],
      [1, 2, 4],
    ],
    ['lone CR line ends', 'a\rb\r"c\rd"\re', [['a'], ['b'], ['c\rd'], ['e']], [1, 2, 3, 5]],
    ['a BOM is dropped once', '\uFEFF\uFEFFa\n1\n', [['\uFEFFa'], ['1']], [1, 2]],
    [
      'empty cells and rows of other lengths',
      ',\n,,\na,\n',
      [
        ['', ''],
        ['', '', ''],
        ['a', ''],
      ],
      [1, 2, 3],
    ],
    ['blank lines are rows of one empty cell', 'a\n\n""\nb\n\n', [['a'], [''], [''], ['b'], ['']], [1, 2, 3, 4, 5]],
    ['only a newline', '\n', [['']], [1]],
    ['empty input', '', [], []],
    ['a quote inside an unquoted cell is data', 'a"b,c\n', [['a"b', 'c']], [1]],
    ['a quoted cell at the very end', 'a\n"b"', [['a'], ['b']], [1, 2]],
    [
      'unicode',
      'ké,日本\n"😀,",é\n',
      [
        ['ké', '日本'],
        ['😀,', 'é'],
      ],
      [1, 2],
    ],
  ];
  for (const [name, text, rows, lines] of cases) {
    it(name, async () => {
      const result = await readAllWays(text);
      assert.deepEqual(result, { rows, lines });
      assert.deepEqual(result.rows, csvParse(text), 'as csv-parse reads it');
    });
  }

  it('blankLines: \'skip\' drops empty lines, not lines of "", and keeps the lines of the others', async () => {
    const text = '\na,b\n\n\r\n1,2\n""\n\n3,4\n';
    const result = await readAllWays(text, { blankLines: 'skip' });
    assert.deepEqual(result, { rows: [['a', 'b'], ['\r'], ['1', '2'], [''], ['3', '4']], lines: [2, 4, 5, 6, 8] });
    assert.deepEqual(
      result.rows,
      csvParse(text.replace('\r', '\\r'), true).map((r) => r.map((c) => c.replace('\\r', '\r'))),
    );
  });

  it('a chunk boundary inside a quoted field and inside a multi-byte character', async () => {
    const text = 'id,text\n1,"il était\nune fois 😀, ""ok"""\n2,日本\n';
    const data = bytes(text);
    const emoji = data.indexOf(Buffer.from('😀'));
    const nihon = data.indexOf(Buffer.from('日'));
    for (const offsets of [[emoji + 1], [emoji + 2, emoji + 3], [nihon + 1, nihon + 4], [data.indexOf(Buffer.from('une'))]]) {
      for (const windowChars of [1, 4, 1000]) {
        const result = await read(cut(data, offsets), { windowChars, lineBreak: '\n' });
        assert.deepEqual(result.rows, [
          ['id', 'text'],
          ['1', 'il était\nune fois 😀, "ok"'],
          ['2', '日本'],
        ]);
        assert.deepEqual(result.lines, [1, 2, 4]);
      }
    }
  });

  it('a CRLF split between windows counts as one line break', async () => {
    // A lone-CR file ("\r" wins the guess) whose cells start with "\n": each "\r\n" is one line
    // break, at its "\n" (as CsvCodec counts), so a row starting at that "\n" is still on the line before.
    const text = 'a\r\nb\r\nc\rd\re\rf\r';
    assert.equal(guessLineBreak(text), '\r');
    const result = await readAllWays(text);
    assert.deepEqual(result, { rows: [['a'], ['\nb'], ['\nc'], ['d'], ['e'], ['f']], lines: [1, 1, 2, 4, 5, 6] });
  });

  it('more than 1 MiB: the line break is guessed from the first 1 MiB, rows and lines stay exact', async () => {
    const rows = Array.from({ length: 80_000 }, (_, i) => [String(i), i % 7 === 0 ? `x\r\n${i}` : `v${i}`, 'é'.repeat(i % 5)]);
    const text = `${rows.map((r) => r.map((c) => (c.includes('\n') ? `"${c}"` : c)).join(',')).join('\r\n')}\r\n`;
    assert.ok(text.length > 1.2 * 1024 * 1024);
    const data = bytes(text);
    const chunks = cut(
      data,
      Array.from({ length: Math.ceil(data.length / 997) }, (_, i) => i * 997),
    );
    const result = await read(chunks, { windowChars: 5000 });
    assert.deepEqual(result.rows, rows);
    let line = 1;
    const lines = rows.map((r) => {
      const start = line;
      line += 1 + (r[1]!.includes('\n') ? 1 : 0);
      return start;
    });
    assert.deepEqual(result.lines, lines);
  });

  it('batches hold at most batchRows rows, and their lines follow on', async () => {
    const text = `${Array.from({ length: 1000 }, (_, i) => `${i},"${i}\n"`).join('\n')}\n`;
    const sizes: number[] = [];
    const lines: number[] = [];
    for await (const batch of readCsv([bytes(text)], { source: 's', batchRows: 64, windowChars: 3000, lineBreak: '\n' })) {
      sizes.push(batch.rows.length);
      batch.rows.forEach((_, i) => lines.push(batch.lineOf(i)));
    }
    assert.ok(
      sizes.every((n) => n > 0 && n <= 64),
      JSON.stringify(sizes),
    );
    assert.equal(
      sizes.reduce((a, b) => a + b),
      1000,
    );
    assert.deepEqual(
      lines,
      Array.from({ length: 1000 }, (_, i) => 1 + 2 * i),
    );
  });

  it('streams: the first batch arrives after about one window of input, not after the whole input', async () => {
    let pulled = 0;
    const row = bytes('1234567,"abc",def\n'); // 18 bytes
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++;
        yield Buffer.concat(Array.from({ length: 1000 }, () => row)); // 18 KB a chunk
      }
    }
    let batches = 0;
    for await (const batch of readCsv(endless(), { source: 'endless', batchRows: 1000 })) {
      assert.ok(batch.rows.length <= 1000);
      if (++batches === 200) break;
    }
    // 200 batches of 1,000 rows = 3.6 MB of input; the 1 MiB sniff and a 64 Ki window add 5 chunks at most.
    assert.ok(pulled <= 200 + 65, `pulled ${pulled} chunks`);
  });
});

describe('readCsv: errors name the source and the line', () => {
  it('an unclosed quote: where it opens', async () => {
    await rejects('a,b\n1,2\n3,"open\n4,5\n', 'MissingQuotes', 3, /^test\.csv line 3: a quoted field is never closed \(the quote opens here\)$/);
    const data = bytes(`a\n${'x\n'.repeat(5000)}"never closed\n${'y\n'.repeat(5000)}`);
    await rejects(cut(data, [100, 10_001, 10_003]), 'MissingQuotes', 5002, /line 5002/, { windowChars: 64 });
  });

  it('a closing quote followed by other characters, also past window and chunk boundaries', async () => {
    const text = 'a,b\r\n1,"x\r\ny"\r\n3,"4"x\r\n5,6\r\n';
    await rejects(text, 'InvalidQuotes', 4, /^test\.csv line 4: a quoted field's closing quote is followed by other characters/);
    const data = bytes(text);
    for (const windowChars of [1, 5, 17]) {
      await rejects(cut(data, [...data.keys()]), 'InvalidQuotes', 4, /line 4/, { windowChars, lineBreak: '\r\n' });
    }
  });

  it('white space after a closing quote at the end of a window is not an error yet', async () => {
    // papaparse allows white space between a closing quote and the delimiter or line break.
    const data = bytes('"a"  ,b\n"c" \r\n');
    assert.deepEqual((await read(cut(data, [4, 5, 11, 12]), { windowChars: 1, lineBreak: '\n' })).rows, [['a', 'b'], ['c']]);
    const crlf = bytes('"a"\r\n"b"\r\n');
    assert.deepEqual((await read(cut(crlf, [4, 9]), { windowChars: 1, lineBreak: '\r\n' })).rows, [['a'], ['b']]);
  });

  it('invalid UTF-8: the first bad byte, its offset and line, even when a chunk boundary cuts its character', async () => {
    const data = Buffer.concat([bytes('a,b\nc😀f,1\ncaf'), Buffer.from([0xe9]), bytes(',1\n')]);
    const bad = data.indexOf(0xe9);
    for (const offsets of [[], [bad], [bad + 1], [bad - 2, bad - 1], [...data.keys()]]) {
      await assert.rejects(read(cut(data, offsets)), (error: unknown) => {
        assert.ok(error instanceof CsvReadError);
        assert.equal(error.problem, 'InvalidUtf8');
        assert.equal(error.byteOffset, bad, `cut at ${offsets.join(',')}`);
        assert.equal(error.message, `test.csv line 3: byte 0xE9 at byte offset ${bad} is not UTF-8`);
        return true;
      });
    }
    await rejects([bytes('ok\n'), Buffer.from([0xc3])], 'TruncatedUtf8', 2, /ends in the middle of a UTF-8 character/);
    // Surrogates and overlong forms are not UTF-8 either (TextDecoder's fatal mode refuses them).
    await rejects([Buffer.from([0x61, 0x0a, 0xed, 0xa0, 0x80])], 'InvalidUtf8', 2, /0xED at byte offset 2/);
    await rejects([Buffer.from([0xc0, 0xaf])], 'InvalidUtf8', 1, /0xC0 at byte offset 0/);
  });

  it('input stream errors pass through unchanged', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield bytes('a\n1\n');
      throw new Error('disk on fire');
    }
    await assert.rejects(read(failing()), /^Error: disk on fire$/);
  });
});

/** Cells over an alphabet with every special character of the dialect and multi-byte characters. */
const cell = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', 'é', '日', '😀'), maxLength: 6 });
const table = fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 });

function toCsv(rows: string[][], lineBreak: CsvLineBreak, quoteAll: boolean, finalBreak: boolean): string {
  const quote = (c: string): string => (quoteAll || /[,"\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return rows.map((r) => r.map(quote).join(',')).join(lineBreak) + (finalBreak ? lineBreak : '');
}

/** Byte offsets to cut at (-1: at every byte), and a window size; the line break given or guessed. */
const reading = fc.record({
  offsets: fc.oneof(fc.array(fc.nat({ max: 200 }), { maxLength: 40 }), fc.constant<number[]>([-1])),
  windowChars: fc.integer({ min: 1, max: 40 }),
  giveLineBreak: fc.boolean(),
});

describe('readCsv: properties', () => {
  it('random tables cut into random chunks read as csv-parse/sync reads them', async () => {
    await fc.assert(
      fc.asyncProperty(
        table,
        fc.constantFrom<CsvLineBreak>('\n', '\r\n', '\r'),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        reading,
        async (rows, lineBreak, quoteAll, finalBreak, bom, skip, how) => {
          const text = (bom ? '\uFEFF' : '') + toCsv(rows, lineBreak, quoteAll, finalBreak);
          const result = await read(cut(bytes(text), how.offsets), {
            windowChars: how.windowChars,
            blankLines: skip ? 'skip' : 'keep',
            ...(how.giveLineBreak ? { lineBreak } : {}),
          });
          assert.deepEqual(result.rows, csvParse(text, skip));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('any text (malformed too) cut into random chunks reads as papaparse reads the whole text, lines included', async () => {
    // Pieces of CSV rather than characters, so that quotes, white space and line breaks meet often.
    const piece = fc.constantFrom('a', 'é', '😀', ',', ' ', '"', '""', '" ', '",', '"\n', '\n', '\r', '\r\n', '\n"');
    const text = fc.array(piece, { maxLength: 24 }).map((pieces) => pieces.join(''));
    await fc.assert(
      fc.asyncProperty(text, reading, async (body, how) => {
        // The reference is CsvCodec's parse of a body (after its BOM is gone).
        const expected = Papa.parse<string[]>(body, { ...CSV_DIALECT, newline: lineBreakOf(body) });
        const options = { windowChars: how.windowChars, ...(how.giveLineBreak ? { lineBreak: guessLineBreak(body) } : {}) };
        const problem = expected.errors[0];
        if (problem) {
          await rejects(cut(bytes(body), how.offsets), problem.code, lineAt(body, problem.index!), /./, options);
          return;
        }
        const rows = expected.data;
        if (body.endsWith(expected.meta.linebreak)) rows.pop();
        const starts: number[] = [];
        let next = 0;
        Papa.parse<string[]>(body, {
          ...CSV_DIALECT,
          newline: lineBreakOf(body),
          step: (row) => {
            starts.push(next);
            next = row.meta.cursor;
          },
        });
        const result = await read(cut(bytes(body), how.offsets), options);
        assert.deepEqual(result.rows, rows);
        assert.deepEqual(
          result.lines,
          starts.slice(0, rows.length).map((s) => lineAt(body, s)),
        );
      }),
      { numRuns: RUNS * 3 },
    );
  });
});
