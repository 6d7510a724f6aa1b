/**
 * Stable string hashing and tokenisation for hashed n-gram features. FNV-1a over UTF-16 code
 * units with Math.imul: identical on every platform and Node version (no locale, no native code).
 */
import type { TokenKind } from '../format/featurizer-spec.js';

export function fnv1a(s: string, seed = 0x811c9dc5): number {
  return fmix(fnvRange(seed >>> 0, s, 0, s.length));
}

/** Bucket of a token for a given column salt. */
export function bucketOf(salt: string, token: string, buckets: number): number {
  return fnv1a(token, fnv1a(salt)) % buckets;
}

const WORD_RE = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** The words of `text`, lowercased: the tokens of `WORD_RE` (found by the ASCII scanner when it can). */
export function words(text: string): string[] {
  const lower = text.toLowerCase();
  const count = wordSpans(lower);
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) out[i] = lower.slice(spanScratch[2 * i], spanScratch[2 * i + 1]);
  return out;
}

/**
 * The n-grams of a text, in the order `hashedNgrams` emits their ids (the explanation path names
 * ids by position). Word n-grams join with a space, by length then position; char n-grams run over
 * the lowercased text with collapsed whitespace, by position then length, marked with a leading
 * `#` so they never collide with words.
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
    for (let i = 0; i < t.length; i++) {
      for (let n = charRange[0]; n <= charRange[1] && i + n <= t.length; n++) out.push('#' + t.slice(i, i + n));
    }
  }
  return out;
}

/** N-gram names without the char n-gram marker (for showing them). */
export function stripMarkers(names: string[]): string[] {
  return names.map((t) => (t.startsWith('#') ? t.slice(1) : t));
}

/**
 * The n-grams at the given positions of `ngrams(text, ...)`, without building the others: an
 * explanation names only the few n-grams it reports. Positions past the last n-gram throw.
 */
export function ngramsAt(text: string, kind: TokenKind, wordRange: [number, number], charRange: [number, number], positions: readonly number[]): string[] {
  const lower = text.toLowerCase();
  const count = kind === 'chars' ? 0 : wordSpans(lower);
  const spans = spanScratch; // not touched again below
  const wordGrams = (n: number): number => Math.max(0, count - n + 1);
  let wordTotal = 0;
  for (let n = wordRange[0]; n <= wordRange[1]; n++) wordTotal += wordGrams(n);
  let t: string | undefined;
  return positions.map((position) => {
    let p = position;
    if (p >= 0 && p < wordTotal) {
      for (let n = wordRange[0]; ; n++) {
        if (p < wordGrams(n)) {
          let gram = lower.slice(spans[2 * p], spans[2 * p + 1]);
          for (let k = 1; k < n; k++) gram += ' ' + lower.slice(spans[2 * (p + k)], spans[2 * (p + k) + 1]);
          return gram;
        }
        p -= wordGrams(n);
      }
    }
    p -= wordTotal;
    if (kind !== 'words' && p >= 0) {
      t ??= ` ${lower.replace(/\s+/g, ' ').trim()} `;
      // ngrams() emits, at each position i, the lengths charRange[0].. that fit
      for (let i = 0; i < t.length; i++) {
        const here = Math.max(0, Math.min(charRange[1], t.length - i) - charRange[0] + 1);
        if (p < here) return '#' + t.slice(i, i + charRange[0] + p);
        p -= here;
      }
    }
    throw new RangeError(`n-gram position ${position} is not among the ${kind} n-grams of the text`);
  });
}

/** Final avalanche (murmur3 fmix) so that the low bits used for bucketing are well mixed. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const isLetter = (c: number): boolean => c >= 97 && c <= 122; // lowercased ASCII
const isLetterOrDigit = (c: number): boolean => isLetter(c) || (c >= 48 && c <= 57);

/**
 * Word spans of lowercased text as [start, end) pairs in `spans`, exactly the tokens of `WORD_RE`
 * (letters/digits, optionally an apostrophe and letters) as long as the text is ASCII: the serving
 * hot path, without a Unicode regex and without a string per word. Returns the number of words,
 * or -1 at the first non-ASCII character (the caller then takes the spans from the regex).
 */
function asciiWordSpans(lower: string, spans: Int32Array): number {
  let n = 0;
  for (let i = 0; i < lower.length;) {
    const c = lower.charCodeAt(i);
    if (c > 0x7f) return -1;
    if (!isLetterOrDigit(c)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < lower.length && isLetterOrDigit(lower.charCodeAt(j))) j++;
    if (lower.charCodeAt(j) === 39 && isLetter(lower.charCodeAt(j + 1))) {
      j += 2;
      while (j < lower.length && isLetter(lower.charCodeAt(j))) j++;
    }
    spans[2 * n] = i;
    spans[2 * n + 1] = j;
    n++;
    i = j;
  }
  return n;
}

let spanScratch = new Int32Array(256);

/**
 * The words of lowercased text (the tokens of `WORD_RE`) as [start, end) pairs in `spanScratch`,
 * valid until the next call; returns their number. ASCII text takes the scanner, other text the
 * Unicode regex.
 */
function wordSpans(lower: string): number {
  // a text has at most length/2 + 1 words
  if (spanScratch.length < lower.length + 2) spanScratch = new Int32Array(2 * lower.length + 2);
  const spans = spanScratch;
  let count = asciiWordSpans(lower, spans);
  if (count < 0) {
    count = 0;
    for (const m of lower.matchAll(WORD_RE)) {
      spans[2 * count] = m.index;
      spans[2 * count + 1] = m.index + m[0].length;
      count++;
    }
  }
  return count;
}
let wordStates = new Int32Array(128);

/** FNV-1a steps over s[start, end), from state h (no final mix). */
function fnvRange(h: number, s: string, start: number, end: number): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** A growable list of bucket ids (typed, reused across rows: no allocation per n-gram). */
export class IdList {
  ids = new Int32Array(1024);
  length = 0;

  push(id: number): void {
    if (this.length === this.ids.length) {
      const grown = new Int32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.length++] = id;
  }

  toArray(): number[] {
    return Array.from(this.ids.subarray(0, this.length));
  }
}

/**
 * Buckets of the n-grams of `ngrams(text, ...)` hashed with seed `fnv1a(salt)`, without building
 * the n-gram strings (FNV-1a is streamed over each n-gram): the serving hot path. Same ids as
 * `bucketOf` on the strings, in the same order (tested). Appends to `out`.
 */
export function hashedNgrams(
  text: string,
  kind: TokenKind,
  wordRange: [number, number],
  charRange: [number, number],
  seed: number,
  buckets: number,
  out: IdList,
): void {
  const words = kind === 'words' || kind === 'both';
  const chars = kind === 'chars' || kind === 'both';
  // The lowercased text as code units in codeScratch[0, length), its char n-gram text
  // (` ${lower.replace(/\s+/g, ' ').trim()} `) after it, and the word spans in spanScratch. ASCII text
  // (nearly all of it) is lowercased and scanned from the code buffer: charCodeAt on the request's
  // sliced strings, and toLowerCase's copy, were most of the cost.
  let length = asciiLowerCodes(text);
  let count = 0;
  let charEnd = 0;
  if (length >= 0) {
    if (words) count = asciiCodeWordSpans(codeScratch, length);
    if (chars) charEnd = length + collapsedCodes(codeScratch, length);
  } else {
    const lower = text.toLowerCase();
    const t = chars ? ` ${lower.replace(/\s+/g, ' ').trim()} ` : '';
    length = lower.length;
    if (codeScratch.length < length + t.length) codeScratch = new Uint16Array(2 * (length + t.length));
    for (let i = 0; i < length; i++) codeScratch[i] = lower.charCodeAt(i);
    for (let i = 0; i < t.length; i++) codeScratch[length + i] = t.charCodeAt(i);
    charEnd = length + t.length;
    if (words) count = wordSpans(lower);
  }
  const codes = codeScratch;
  const mask = buckets - 1;
  const pow2 = (buckets & mask) === 0;
  if (words) {
    const spans = spanScratch;
    // FNV state after each word, computed once: an n-gram starting at word i continues from it.
    if (wordStates.length < count) wordStates = new Int32Array(2 * count);
    const states = wordStates;
    for (let i = 0; i < count; i++) states[i] = fnvCodes(seed >>> 0, codes, spans[2 * i]!, spans[2 * i + 1]!);
    for (let n = wordRange[0]; n <= wordRange[1]; n++) {
      for (let i = 0; i + n <= count; i++) {
        let h = states[i]!;
        for (let k = 1; k < n; k++) h = fnvCodes(Math.imul(h ^ 32, 0x01000193), codes, spans[2 * (i + k)]!, spans[2 * (i + k) + 1]!);
        out.push(pow2 ? fmix(h) & mask : fmix(h) % buckets);
      }
    }
  }
  if (chars) {
    const start = Math.imul((seed >>> 0) ^ 35, 0x01000193); // '#'
    for (let i = length; i < charEnd; i++) {
      let h = start;
      for (let n = 1; n <= charRange[1] && i + n <= charEnd; n++) {
        h = Math.imul(h ^ codes[i + n - 1]!, 0x01000193);
        if (n >= charRange[0]) out.push(pow2 ? fmix(h) & mask : fmix(h) % buckets);
      }
    }
  }
}

/** UTF-16 code units of the text being hashed (see hashedNgrams). */
let codeScratch = new Uint16Array(512);

/** ASCII code -> its lowercase (what toLowerCase does to ASCII text). */
const ASCII_LOWER = Uint8Array.from({ length: 128 }, (_, c) => (c >= 65 && c <= 90 ? c + 32 : c));

/**
 * The text lowercased as ASCII codes into `codeScratch` (with room for its collapsed copy after
 * them); returns its length, or -1 when it is not all ASCII (toLowerCase and \s are Unicode then).
 */
function asciiLowerCodes(text: string): number {
  const n = text.length;
  if (codeScratch.length < 2 * n + 2) codeScratch = new Uint16Array(4 * n + 4);
  const codes = codeScratch;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return -1;
    codes[i] = ASCII_LOWER[c]!;
  }
  return n;
}

/** ASCII whitespace as `\s` and trim() see it: tab, line feed, vertical tab, form feed, carriage return, space. */
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

/** Writes ` ${collapsed and trimmed} ` of codes[0, length) at codes[length..]; returns its length. */
function collapsedCodes(codes: Uint16Array, length: number): number {
  let w = length;
  codes[w++] = 32;
  let pending = false;
  for (let i = 0; i < length; i++) {
    const c = codes[i]!;
    if (isSpace(c)) {
      pending = w > length + 1;
      continue;
    }
    if (pending) codes[w++] = 32;
    pending = false;
    codes[w++] = c;
  }
  codes[w++] = 32;
  return w - length;
}

/** The words of lowercased ASCII codes (exactly asciiWordSpans' words) into spanScratch; returns their number. */
function asciiCodeWordSpans(codes: Uint16Array, length: number): number {
  if (spanScratch.length < length + 2) spanScratch = new Int32Array(2 * length + 2);
  const spans = spanScratch;
  let n = 0;
  for (let i = 0; i < length;) {
    if (!isLetterOrDigit(codes[i]!)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < length && isLetterOrDigit(codes[j]!)) j++;
    if (j + 1 < length && codes[j] === 39 && isLetter(codes[j + 1]!)) {
      j += 2;
      while (j < length && isLetter(codes[j]!)) j++;
    }
    spans[2 * n] = i;
    spans[2 * n + 1] = j;
    n++;
    i = j;
  }
  return n;
}

/** FNV-1a steps over codes[start, end), from state h (no final mix). */
function fnvCodes(h: number, codes: Uint16Array, start: number, end: number): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ codes[i]!, 0x01000193);
  return h;
}
