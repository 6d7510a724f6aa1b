import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bucketOf, fnv1a, hashedNgrams, IdList, ngrams, ngramsAt, words } from '../../algorithms/datawig/core/hashing.js';
import { columnStats, inferType } from '../../algorithms/datawig/core/columns.js';
import { MissingValues } from '../../framework/contract/index.js';
import { Featurizer, fitFeaturizer } from '../../algorithms/datawig/core/features.js';
import { bestIndices, topTokens } from '../../algorithms/datawig/core/ranking.js';

const opts = {
  tfidf: false,
  buckets: 32768,
  tokens: 'auto' as const,
  wordRange: [1, 2] as [number, number],
  charRange: [1, 3] as [number, number],
  maxTokens: 10,
  missingTokens: ['', 'NA'],
};

test('hashing gives fixed bucket ids (stable across runs and platforms)', () => {
  assert.equal(fnv1a('hello'), 2290972270);
  assert.equal(fnv1a('ü€😀'), 1992963933);
  assert.equal(bucketOf('review', 'awesome', 32768), 25046);
  assert.equal(bucketOf('title', 'awesome', 32768), 22077); // columns are salted
  assert.equal(bucketOf('review', 'liked it', 1024), 744);
});

test('streamed n-gram hashing gives the same buckets as hashing the n-gram strings', () => {
  const text = 'The QUICK brown fox, jumps!  Über café 😀 ok';
  for (const kind of ['words', 'chars', 'both'] as const) {
    for (const buckets of [4096, 5000]) {
      const fast = new IdList();
      hashedNgrams(text, kind, [1, 3], [2, 5], fnv1a('col'), buckets, fast);
      const slow = ngrams(text, kind, [1, 3], [2, 5]).map((g) => bucketOf('col', g, buckets));
      // same ids in the same order: the explanation path names each id by position in ngrams()
      assert.deepEqual(fast.toArray(), slow, `${kind}, ${buckets} buckets`);
    }
  }
});

test('the ASCII word scanner finds exactly the words of the Unicode regex (property)', () => {
  // ASCII text takes the scanner; the same text with one non-ASCII letter appended takes the regex.
  const asciiText = fc.string({
    unit: fc.constantFrom('a', 'Z', 'q', '0', '9', "'", "''", ' ', '  ', '.', ',', '-', '_', '\t', '\n', "n't", "'s", 'Ab1'),
    maxLength: 40,
  });
  const wordRe = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu; // the tokeniser's definition of a word
  fc.assert(
    fc.property(asciiText, fc.constantFrom<[number, number]>([1, 1], [1, 2], [2, 3]), (text, range) => {
      assert.deepEqual(words(text), text.toLowerCase().match(wordRe) ?? []);
      assert.deepEqual(words(`${text} é`), `${text} é`.toLowerCase().match(wordRe) ?? []);
      const fast = new IdList();
      hashedNgrams(text, 'words', range, [1, 1], fnv1a('col'), 1 << 20, fast);
      const slow = ngrams(text, 'words', range, [1, 1]).map((g) => bucketOf('col', g, 1 << 20));
      assert.deepEqual(fast.toArray(), slow);
    }),
    { numRuns: 500 },
  );
});

test('streamed n-gram hashing of ASCII text (the code-buffer path) gives the buckets of the strings (property)', () => {
  const asciiText = fc.string({
    unit: fc.constantFrom('a', 'Z', 'Q', '0', "'", "n't", ' ', '   ', '\t', '\n', '\r\n', '\v', '\f', '.', ',', '#', 'Ab1', '~'),
    maxLength: 40,
  });
  fc.assert(
    fc.property(
      asciiText,
      fc.constantFrom('words', 'chars', 'both') as fc.Arbitrary<'words' | 'chars' | 'both'>,
      fc.constantFrom(4096, 5000),
      (text, kind, buckets) => {
        const fast = new IdList();
        hashedNgrams(text, kind, [1, 2], [1, 4], fnv1a('col'), buckets, fast);
        assert.deepEqual(
          fast.toArray(),
          ngrams(text, kind, [1, 2], [1, 4]).map((g) => bucketOf('col', g, buckets)),
        );
      },
    ),
    { numRuns: 1000 },
  );
});

test('ngramsAt names exactly the n-grams at those positions of ngrams() (property)', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'B', '1', 'é', ' ', '  ', '\t', ',', "'s", 'xy'), maxLength: 30 });
  const range = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 })).map(([lo, extra]): [number, number] => [lo, lo + extra]);
  fc.assert(
    fc.property(text, fc.constantFrom('words', 'chars', 'both') as fc.Arbitrary<'words' | 'chars' | 'both'>, range, range, (t, kind, wordRange, charRange) => {
      const all = ngrams(t, kind, wordRange, charRange);
      const positions = all.map((_, i) => i).reverse(); // any order
      assert.deepEqual(
        ngramsAt(t, kind, wordRange, charRange, positions),
        positions.map((i) => all[i]),
      );
      assert.throws(() => ngramsAt(t, kind, wordRange, charRange, [all.length]), RangeError);
    }),
    { numRuns: 500 },
  );
});

test('bestIndices: the n largest (optionally positive) values, ties in index order (as a stable sort)', () => {
  const reference = (values: number[], n: number, positiveOnly: boolean): number[] =>
    values
      .map((_, i) => i)
      .filter((i) => !positiveOnly || values[i]! > 0)
      .sort((a, b) => values[b]! - values[a]!)
      .slice(0, n);
  assert.deepEqual(bestIndices([0.1, 0.5, 0.5, 0.2], 4, 2, false), [1, 2]);
  assert.deepEqual(bestIndices([-1, 0, 2], 3, 5, true), [2]);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 30 }), fc.integer({ min: 1, max: 8 }), fc.boolean(), (values, n, positiveOnly) => {
      assert.deepEqual(bestIndices(values, values.length, n, positiveOnly), reference(values, n, positiveOnly));
    }),
    { numRuns: 500 },
  );
});

test('tokenisation: word and char n-grams', () => {
  assert.deepEqual(words("It's GREAT, isn't it?"), ["it's", 'great', "isn't", 'it']);
  assert.deepEqual(ngrams('a b c', 'words', [1, 2], [1, 1]), ['a', 'b', 'c', 'a b', 'b c']);
  assert.deepEqual(ngrams('ab', 'chars', [1, 1], [2, 2]), ['# a', '#ab', '#b ']);
});

test('numeric inputs are z-normalised, missing flagged; unknown categories map to one row', () => {
  const rows = [
    { n: '1', c: 'x', t: 'hello world' },
    { n: '3', c: 'y', t: 'hello there' },
    { n: 'NA', c: 'x', t: '' },
  ];
  const f = new Featurizer(
    fitFeaturizer(
      rows,
      [
        { name: 'n', type: 'numeric', meanLength: 1 },
        { name: 'c', type: 'categorical', meanLength: 1 },
        { name: 't', type: 'text', meanLength: 11 },
      ],
      { ...opts, tokens: 'words' },
    ),
  );
  assert.deepEqual(f.spec.num[0], { name: 'n', type: 'numeric', mean: 2, std: 1, slot: 0 });
  const enc = f.encodeTable([
    { n: '3', c: 'zzz', t: 'hello' },
    { n: 'NA', c: 'y', t: 'NA' },
    { n: '1', c: 'x', t: 'world hello' },
  ]);
  assert.deepEqual([...enc.num], [1, 0, 0, 1, -1, 0]);
  const cat = f.spec.cat[0]!;
  // row 0: text "hello" then the unknown category; row 1: text missing row then "y"
  assert.equal(enc.idx[enc.rowPtr[1]! - 1], cat.offset + 1);
  assert.equal(enc.idx[enc.rowPtr[2]! - 1], cat.offset + 2 + cat.vocab.indexOf('y'));
  assert.equal(enc.idx[enc.rowPtr[1]!], f.spec.text[0]!.missingRow);
  // text vectors are L2-normalised tf-idf
  const s = enc.rowPtr[2]!;
  const vals = [...enc.val.subarray(s, s + 3)]; // world, hello, "world hello"
  assert.ok(Math.abs(vals.reduce((a, v) => a + v * v, 0) - 1) < 1e-6);
});

test('missing tokens and type inference', () => {
  const m = new MissingValues(['', 'NA', 'None']);
  assert.equal(m.isMissing(' NA '), true);
  assert.equal(m.isMissing(null), true);
  assert.equal(m.isMissing('0'), false);
  const stats = (v: string[]) => columnStats(v.map((x) => m.value(x)));
  assert.equal(inferType(stats(Array.from({ length: 50 }, (_, i) => String(i * 1.5)))), 'numeric');
  assert.equal(inferType(stats(Array.from({ length: 50 }, (_, i) => String(i % 5)))), 'categorical');
  assert.equal(inferType(stats(Array.from({ length: 50 }, (_, i) => ['red', 'blue', 'NA'][i % 3]!))), 'categorical');
  assert.equal(inferType(stats(Array.from({ length: 50 }, (_, i) => `a long free text sentence number ${i} about things`))), 'text');
});

test('topTokens: the n best positive totals, repeats summed, ties in first-seen order (as a stable sort)', () => {
  const reference = (contributions: [string, number][], n: number): string[] => {
    const seen = new Map<string, number>();
    for (const [t, s] of contributions) seen.set(t, (seen.get(t) ?? 0) + s);
    return [...seen.entries()]
      .filter((e) => e[1] > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map((e) => (e[0].startsWith('#') ? e[0].slice(1) : e[0]));
  };
  assert.deepEqual(
    topTokens(
      [
        ['a', 1],
        ['#bc', 3],
        ['a', 2.5],
        ['d', -1],
        ['e', 3],
      ],
      2,
    ),
    ['a', 'bc'],
  );
  // few distinct names and small integer scores: many repeats and ties
  const contributions = fc.array(fc.tuple(fc.constantFrom('a', 'b', '#c', 'd', 'e', 'f g', '#hi'), fc.integer({ min: -3, max: 3 })), { maxLength: 30 });
  fc.assert(
    fc.property(contributions, fc.integer({ min: 1, max: 8 }), (list, n) => {
      assert.deepEqual(topTokens(list, n), reference(list, n));
    }),
    { numRuns: 500 },
  );
});
