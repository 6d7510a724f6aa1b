export type { BatchShape, Codec, DecodedBatch, DecodeOptions } from './codec.js';
export { CsvCodec } from './csv.js';
export { JsonCodec } from './json.js';
export { JsonLinesCodec } from './jsonlines.js';
export { CodecRegistry, defaultCodecs, type ContentTypes, type MediaType, type Negotiated } from './registry.js';
