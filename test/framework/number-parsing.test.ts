/**
 * The one number parser (contract/values.ts) that hyperparameters, attributes and cells share:
 * plain decimal notation, linear in the text's length.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDecimalText, parseNumberText } from '../../framework/contract/values.js';
import { parseHyperparameters } from '../../framework/parameters/parse.js';
import { TrainingError } from '../../framework/contract/errors.js';

/** The regular expression parse.ts used before (quadratic on a long digit run followed by a letter): the reference. */
const PLAIN_DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

describe('parseDecimalText', () => {
  it('reads plain decimal notation, with spaces around', () => {
    for (const [text, value] of [
      ['12', 12],
      [' -3.5 ', -3.5],
      ['.5', 0.5],
      ['1.', 1],
      ['+1e-3', 0.001],
      ['0e5', 0],
      ['0E5', 0],
      ['0.5', 0.5],
      ['007', 7],
      ['1.e2', 100],
      ['\t42\n', 42],
    ] as const) {
      assert.equal(parseDecimalText(text), value, text);
      assert.equal(parseNumberText(text), value, text);
    }
  });

  it('refuses what Number() reads but is not plain decimal notation', () => {
    for (const text of [
      '',
      ' ',
      'Infinity',
      '-Infinity',
      '+Infinity',
      '0x1A',
      '0X1a',
      '0o17',
      '0b101',
      '0B1',
      '1,234',
      '1_000',
      '.',
      'e5',
      '1e',
      '--1',
      '1 2',
      'NaN',
    ]) {
      assert.ok(Number.isNaN(parseDecimalText(text)), JSON.stringify(text));
      assert.ok(Number.isNaN(parseNumberText(text)), JSON.stringify(text));
    }
  });

  it('keeps an overflow apart from a notation error; parseNumberText refuses both', () => {
    assert.equal(parseDecimalText('1e999'), Infinity);
    assert.equal(parseDecimalText('-1e999'), -Infinity);
    assert.ok(Number.isNaN(parseNumberText('1e999')));
  });

  it('is linear: a 50,000-digit run ending in "x" is refused at once', () => {
    const text = `${'1'.repeat(50_000)}x`;
    const started = performance.now();
    for (let i = 0; i < 10; i++) assert.ok(Number.isNaN(parseDecimalText(text)));
    const perCall = (performance.now() - started) / 10;
    // Well under 1 ms on a fast machine; the bound is generous for a slow, shared one.
    assert.ok(perCall < 500, `took ${perCall.toFixed(1)} ms`);
  });

  it('a hyperparameter of 50,000 digits and an "x" fails fast with a short message', () => {
    const schema = { rate: { type: 'number', description: 'r' } } as const;
    const started = performance.now();
    assert.throws(
      () => parseHyperparameters(schema, { rate: `${'9'.repeat(50_000)}x` }),
      (error: unknown) =>
        error instanceof TrainingError && /hyperparameter "rate" = "9{100}…": expected a number/.test(error.message) && error.message.length < 500,
    );
    assert.ok(performance.now() - started < 500);
  });

  it('accepts exactly what the old regular expression accepted (property test)', () => {
    const chars = fc.constantFrom(...'0123456789+-.eE x\tIinfyXobB_,'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        const expected = PLAIN_DECIMAL.test(text.trim());
        const got = parseDecimalText(text);
        assert.equal(!Number.isNaN(got), expected, `${JSON.stringify(text)}: regex ${expected}, parser ${got}`);
        if (expected) assert.equal(got, Number(text.trim()));
      }),
      { numRuns: 20_000 },
    );
  });

  it('accepts exactly what the old regular expression accepted on number-shaped strings (property test)', () => {
    const digits = fc.stringMatching(/^\d{0,4}$/);
    const shaped = fc
      .tuple(
        fc.constantFrom('', '+', '-', ' '),
        digits,
        fc.constantFrom('', '.', 'x'),
        digits,
        fc.constantFrom('', 'e', 'E', 'e+', 'e-', 'x'),
        digits,
        fc.constantFrom('', ' ', 'x'),
      )
      .map((p) => p.join(''));
    fc.assert(
      fc.property(shaped, (text) => {
        assert.equal(!Number.isNaN(parseDecimalText(text)), PLAIN_DECIMAL.test(text.trim()), JSON.stringify(text));
      }),
      { numRuns: 20_000 },
    );
  });
});
