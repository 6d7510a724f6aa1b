/** application/jsonlines: one JSON object per non-empty line (SageMaker batch transform's line mode). */
import { isRowBatch, type OutputBatch } from '../contract/records.js';
import { RequestError } from '../contract/errors.js';
import {
  type BatchShape,
  type Codec,
  type DecodedBatch,
  type DecodeOptions,
  capMessage,
  checkRowLimit,
  decodeText,
  rowsToJson,
  toJson,
  typeName,
} from './codec.js';
import { isPlainObject, objectsToBatch } from './json.js';

export class JsonLinesCodec implements Codec {
  readonly mediaType = 'application/jsonlines';
  readonly structure = 'document';
  readonly aliases = ['application/jsonl', 'application/x-jsonlines'] as const;

  decode(body: Uint8Array, options: DecodeOptions): DecodedBatch {
    const lines = decodeText(body).split(/\r?\n/);
    const items: Record<string, unknown>[] = [];
    const lineNumbers: number[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      // Stop early on oversized bodies rather than parsing every line first.
      checkRowLimit(items.length + 1, options.limits, 'JSON Lines body');
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new RequestError(`JSON Lines line ${i + 1} is not valid JSON: ${capMessage((error as Error).message)}`, 400);
      }
      if (!isPlainObject(value)) {
        throw new RequestError(`JSON Lines line ${i + 1} is ${typeName(value)}; every line must be a JSON object`, 400);
      }
      items.push(value);
      lineNumbers.push(i + 1);
    }
    const batch = objectsToBatch(items, options, 'record', (index) => `JSON Lines line ${lineNumbers[index]}`);
    return { shape: 'jsonlines', ...batch };
  }

  encode(batch: OutputBatch, _requestShape: BatchShape): string {
    if (isRowBatch(batch)) return rowsToJson(batch.columns, batch.rows).join('\n') + (batch.rows.length > 0 ? '\n' : '');
    return batch.records.map((record) => toJson(record) + '\n').join('');
  }
}
