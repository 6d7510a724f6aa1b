/**
 * Stable string hashing and tokenisation for hashed n-gram features. FNV-1a over UTF-16 code
 * units with Math.imul: identical on every platform and Node version (no locale, no native code).
 */

export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // final avalanche (murmur3 fmix) so that the low bits used for bucketing are well mixed
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Bucket of a token for a given column salt. */
export function bucketOf(salt: string, token: string, buckets: number): number {
  return fnv1a(token, fnv1a(salt)) % buckets;
}

const WORD_RE = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

export function words(text: string): string[] {
  return text.toLowerCase().match(WORD_RE) ?? [];
}

export type TokenKind = 'words' | 'chars' | 'both';

/**
 * The n-grams of a text. Word n-grams join with a space; char n-grams run over the lowercased
 * text with collapsed whitespace and are marked with a leading `#` so they never collide with words.
 */
export function ngrams(text: string, kind: TokenKind, wordRange: [number, number], charRange: [number, number]): string[] {
  const out: string[] = [];
  if (kind === 'words' || kind === 'both') {
    const w = words(text);
    for (let n = wordRange[0]; n <= wordRange[1]; n++) {
      for (let i = 0; i + n <= w.length; i++) out.push(n === 1 ? w[i]! : w.slice(i, i + n).join(' '));
    }
  }
  if (kind === 'chars' || kind === 'both') {
    const t = ` ${text.toLowerCase().replace(/\s+/g, ' ').trim()} `;
    for (let n = charRange[0]; n <= charRange[1]; n++) {
      for (let i = 0; i + n <= t.length; i++) out.push('#' + t.slice(i, i + n));
    }
  }
  return out;
}

function fnvStep(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Buckets of the n-grams of `ngrams(text, ...)` hashed with seed `fnv1a(salt)`, without building
 * the n-gram strings (FNV-1a is streamed over each n-gram): the serving hot path. Same ids as
 * `bucketOf` on the strings (tested).
 */
export function hashedNgrams(text: string, kind: TokenKind, wordRange: [number, number], charRange: [number, number], seed: number, buckets: number, out: number[]): void {
  if (kind === 'words' || kind === 'both') {
    const w = words(text);
    for (let n = wordRange[0]; n <= wordRange[1]; n++) {
      for (let i = 0; i + n <= w.length; i++) {
        let h = fnvStep(seed >>> 0, w[i]!);
        for (let k = 1; k < n; k++) h = fnvStep(Math.imul(h ^ 32, 0x01000193), w[i + k]!);
        out.push(fmix(h) % buckets);
      }
    }
  }
  if (kind === 'chars' || kind === 'both') {
    const t = ` ${text.toLowerCase().replace(/\s+/g, ' ').trim()} `;
    const start = Math.imul((seed >>> 0) ^ 35, 0x01000193); // '#'
    for (let i = 0; i < t.length; i++) {
      let h = start;
      for (let n = 1; n <= charRange[1] && i + n <= t.length; n++) {
        h = Math.imul(h ^ t.charCodeAt(i + n - 1), 0x01000193);
        if (n >= charRange[0]) out.push(fmix(h) % buckets);
      }
    }
  }
}
