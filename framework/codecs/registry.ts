/** Picks a decoder from Content-Type and an encoder from Accept (content negotiation). */
import { RequestError } from '../contract/errors.js';
import type { Codec } from './codec.js';
import { CsvCodec } from './csv.js';
import { JsonCodec } from './json.js';
import { JsonLinesCodec } from './jsonlines.js';

export interface MediaType {
  type: string;
  params: Record<string, string>;
}

/** What an algorithm accepts and produces (media types or aliases; absent: everything registered). */
export interface ContentTypes {
  accepts?: readonly string[];
  produces?: readonly string[];
}

/** The outcome of content negotiation for one request. */
export interface Negotiated {
  decoder: Codec;
  /** Content-Type parameters (e.g. `header=absent`); shared between requests, so frozen. */
  params: Readonly<Record<string, string>>;
  encoder: Codec;
}

/** Distinct header pairs remembered per algorithm; real clients send a handful. */
const NEGOTIATION_MEMO_SIZE = 64;
const ANY_TYPES: ContentTypes = {};

export function defaultCodecs(): Codec[] {
  return [new CsvCodec(), new JsonCodec(), new JsonLinesCodec()];
}

export class CodecRegistry {
  private readonly codecs: readonly Codec[];
  private readonly byType = new Map<string, Codec>();
  private readonly negotiated = new WeakMap<ContentTypes, Map<string, Negotiated>>();

  constructor(codecs: readonly Codec[] = defaultCodecs()) {
    this.codecs = codecs;
    for (const codec of codecs) {
      for (const type of [codec.mediaType, ...(codec.aliases ?? [])]) this.byType.set(type.toLowerCase(), codec);
    }
  }

  supportedTypes(): string[] {
    return this.codecs.map((codec) => codec.mediaType);
  }

  /** The codec for a media type (canonical or alias, parameters ignored), if any. */
  lookup(mediaType: string): Codec | undefined {
    return this.byType.get(this.parseMediaType(mediaType).type);
  }

  /** Splits `type/subtype; key=value; key="quoted value"`; keys and type lower-cased, values kept. */
  parseMediaType(header: string | undefined): MediaType {
    const params: Record<string, string> = {};
    if (header === undefined) return { type: '', params };
    const parts = splitOutsideQuotes(header, ';');
    const type = (parts[0] ?? '').trim().toLowerCase();
    for (const part of parts.slice(1)) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const key = part.slice(0, eq).trim().toLowerCase();
      let value = part.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
        value = value.slice(1, -1).replace(/\\(.)/g, '$1');
      }
      if (key !== '' && key !== '__proto__') params[key] = value;
    }
    return { type, params };
  }

  /**
   * decoderFor + encoderFor of one request. Successful outcomes are remembered per header pair:
   * parsing and matching media types was ~3% of a small request's CPU, and clients repeat the same
   * headers. Failures are not remembered (they throw, and are rare).
   */
  negotiate(contentType: string | undefined, accept: string | undefined, types: ContentTypes = ANY_TYPES): Negotiated {
    let memo = this.negotiated.get(types);
    if (!memo) this.negotiated.set(types, (memo = new Map<string, Negotiated>()));
    // \u0000 cannot occur in a header value, so absent and empty headers stay apart.
    const key = `${contentType ?? '\u0000'}\u0000${accept ?? '\u0000'}`;
    const known = memo.get(key);
    if (known) return known;
    const { codec: decoder, params } = this.decoderFor(contentType, types.accepts);
    const outcome: Negotiated = { decoder, params: Object.freeze(params), encoder: this.encoderFor(accept, decoder.mediaType, types.produces) };
    if (memo.size >= NEGOTIATION_MEMO_SIZE) memo.clear();
    memo.set(key, outcome);
    return outcome;
  }

  decoderFor(contentType: string | undefined, accepted?: readonly string[]): { codec: Codec; params: Record<string, string> } {
    const allowed = this.allowed(accepted);
    const { type, params } = this.parseMediaType(contentType);
    const codec = this.byType.get(type);
    const supported = allowed.map((c) => c.mediaType).join(', ');
    if (type === '') throw new RequestError(`missing Content-Type; supported: ${supported}`, 415);
    if (!codec || !allowed.includes(codec)) {
      throw new RequestError(`unsupported Content-Type "${type}"; supported: ${supported}`, 415);
    }
    const charset = params['charset']?.toLowerCase();
    // Bodies are decoded as UTF-8 only; ASCII is a subset.
    if (charset !== undefined && !['utf-8', 'utf8', 'us-ascii'].includes(charset)) {
      throw new RequestError(`unsupported charset "${params['charset']}" in Content-Type; only utf-8 is accepted`, 415);
    }
    return { codec, params };
  }

  encoderFor(accept: string | undefined, requestType: string, produces?: readonly string[]): Codec {
    const producible = this.allowed(produces);
    const requestCodec = this.lookup(requestType);
    const preferred = requestCodec && producible.includes(requestCodec) ? requestCodec : producible[0];
    const ranges = parseAccept(this, accept);
    if (ranges.length === 0) {
      if (preferred) return preferred;
    } else {
      let best: { codec: Codec; q: number; order: number } | undefined;
      for (const codec of producible) {
        const match = bestRange(ranges, codec);
        if (!match || match.q <= 0) continue;
        // Higher q wins; on a tie, the range listed first; then the request's own type; then codec order.
        const order = match.index * 2 + (codec === requestCodec ? 0 : 1);
        if (!best || match.q > best.q || (match.q === best.q && order < best.order)) best = { codec, q: match.q, order };
      }
      if (best) return best.codec;
    }
    const can = producible.map((c) => c.mediaType).join(', ') || 'nothing';
    throw new RequestError(`cannot produce any type listed in Accept "${accept ?? ''}"; can produce: ${can}`, 406);
  }

  /** Codecs allowed by an algorithm's list (canonical names or aliases), in registry order. */
  private allowed(list: readonly string[] | undefined): Codec[] {
    if (list === undefined) return [...this.codecs];
    const wanted = new Set(list.map((type) => this.lookup(type)).filter((c): c is Codec => c !== undefined));
    return this.codecs.filter((codec) => wanted.has(codec));
  }
}

interface AcceptRange {
  type: string;
  subtype: string;
  /** Exact media type resolved to a codec, when the range names one. */
  codec: Codec | undefined;
  q: number;
  index: number;
}

function parseAccept(registry: CodecRegistry, accept: string | undefined): AcceptRange[] {
  if (accept === undefined || accept.trim() === '') return [];
  const ranges: AcceptRange[] = [];
  for (const item of splitOutsideQuotes(accept, ',')) {
    const { type: full, params } = registry.parseMediaType(item);
    if (full === '') continue;
    const [type = '', subtype = ''] = full.split('/', 2);
    let q = 1;
    if (params['q'] !== undefined) {
      const parsed = Number(params['q']);
      // A malformed q is treated as the default rather than rejecting the whole request.
      q = Number.isFinite(parsed) && params['q'].trim() !== '' ? Math.min(1, Math.max(0, parsed)) : 1;
    }
    ranges.push({ type, subtype, codec: registry.lookup(full), q, index: ranges.length });
  }
  return ranges;
}

/** The most specific range matching a codec (exact > type/* > * / *), per RFC 9110. */
function bestRange(ranges: AcceptRange[], codec: Codec): AcceptRange | undefined {
  const [type] = codec.mediaType.split('/');
  let best: { range: AcceptRange; specificity: number } | undefined;
  for (const range of ranges) {
    let specificity = -1;
    if (range.codec === codec) specificity = 2;
    else if (range.subtype === '*' && range.type === type) specificity = 1;
    else if (range.type === '*' && range.subtype === '*') specificity = 0;
    if (specificity < 0) continue;
    if (!best || specificity > best.specificity) best = { range, specificity };
  }
  return best?.range;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && quoted) {
      current += ch + (text[i + 1] ?? '');
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (ch === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}
