/**
 * application/json: `{"instances": [...]}` (SageMaker's usual envelope; objects or positional arrays)
 * or a plain array of objects. Responses mirror the request's envelope.
 */
import { isRowBatch, type Cell, type InputRecord, type OutputBatch, type RecordBatch } from '../contract/records.js';
import { RequestError } from '../contract/errors.js';
import {
  type BatchShape,
  type Codec,
  type DecodedBatch,
  type DecodeOptions,
  checkColumnLimit,
  checkRowLimit,
  decodeText,
  isCell,
  makeRecord,
  positionalNames,
  rowsToJson,
  capMessage,
  quoteInput,
  toJson,
  typeName,
} from './codec.js';

const ACCEPTED_SHAPES = 'expected {"instances": [{...}, ...]}, {"instances": [[...], ...]} (positional rows) or an array of objects [{...}, ...]';

export class JsonCodec implements Codec {
  readonly mediaType = 'application/json';
  readonly structure = 'document';

  decode(body: Uint8Array, options: DecodeOptions): DecodedBatch {
    const text = decodeText(body);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new RequestError(`body is not valid JSON: ${capMessage((error as Error).message)}`, 400);
    }
    if (Array.isArray(value)) {
      const bad = value.findIndex((item) => !isPlainObject(item));
      if (bad >= 0) {
        throw new RequestError(`JSON array element ${bad} (0-based) is ${typeName(value[bad])}, not an object; ${ACCEPTED_SHAPES}`, 400);
      }
      return { shape: 'json-array', ...objectsToBatch(value as Record<string, unknown>[], options, 'record') };
    }
    if (!isPlainObject(value) || !Object.hasOwn(value, 'instances')) {
      const got = isPlainObject(value) ? 'an object without "instances"' : typeName(value);
      throw new RequestError(`unsupported JSON body: got ${got}; ${ACCEPTED_SHAPES}`, 400);
    }
    const instances = value['instances'];
    if (!Array.isArray(instances)) {
      throw new RequestError(`"instances" is ${typeName(instances)}, not an array; ${ACCEPTED_SHAPES}`, 400);
    }
    if (instances.length > 0 && instances.every((item) => Array.isArray(item))) {
      return { shape: 'json-instances', ...arraysToBatch(instances as unknown[][], options) };
    }
    const bad = instances.findIndex((item) => !isPlainObject(item));
    if (bad >= 0) {
      throw new RequestError(
        `"instances" element ${bad} (0-based) is ${typeName(instances[bad])}; instances must be all objects or all arrays (positional rows)`,
        400,
      );
    }
    return { shape: 'json-instances', ...objectsToBatch(instances as Record<string, unknown>[], options, 'instance') };
  }

  encode(batch: OutputBatch, requestShape: BatchShape): string {
    if (isRowBatch(batch)) {
      const list = `[${rowsToJson(batch.columns, batch.rows).join(',')}]`;
      return requestShape === 'json-array' ? list : `{"instances":${list}}`;
    }
    return requestShape === 'json-array' ? toJson(batch.records) : toJson({ instances: batch.records });
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates object records (scalar cells only) and collects columns in order of first appearance.
 * `label` names an element in messages, e.g. "instance 3 (0-based)" or "line 4".
 */
export function objectsToBatch(
  items: Record<string, unknown>[],
  options: DecodeOptions,
  kind: 'record' | 'instance',
  label: (index: number) => string = (i) => `${kind} ${i} (0-based)`,
): RecordBatch<InputRecord> {
  if (items.length === 0) throw new RequestError('the request contains no records', 400);
  checkRowLimit(items.length, options.limits, 'JSON body');
  const seen = new Set<string>();
  const columns: string[] = [];
  const records = items.map((item, index) => {
    const keys = Object.keys(item);
    const values: Cell[] = [];
    for (const key of keys) {
      const cell = item[key];
      if (!isCell(cell)) {
        throw new RequestError(
          `${label(index)}, field ${quoteInput(key)}: got ${typeName(cell)}; values must be a string, number, boolean or null (no nested objects or arrays)`,
          400,
        );
      }
      values.push(cell);
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
        checkColumnLimit(columns.length, options.limits, 'JSON body');
      }
    }
    return makeRecord(keys, values);
  });
  return { columns, records };
}

/** Positional rows map to schema columns exactly like header-less CSV. */
function arraysToBatch(rows: unknown[][], options: DecodeOptions): RecordBatch<InputRecord> {
  const schema = options.schema;
  if (!schema) {
    throw new RequestError('positional "instances" (arrays) cannot be mapped to columns: no model schema is available; send objects instead', 400);
  }
  checkRowLimit(rows.length, options.limits, 'JSON body');
  let columns: string[] | undefined;
  const records = rows.map((row, index) => {
    checkColumnLimit(row.length, options.limits, `instance ${index} (0-based)`);
    const names = positionalNames(schema, row.length);
    if (!Array.isArray(names)) {
      throw new RequestError(`instance ${index} (0-based) has ${row.length} values, but positional instances must have ${names.expected}`, 400);
    }
    if (columns !== undefined && names.length !== columns.length) {
      throw new RequestError(`instance ${index} (0-based) has ${row.length} values, but instance 0 has ${columns.length}`, 400);
    }
    columns ??= names;
    const bad = row.findIndex((cell) => !isCell(cell));
    if (bad >= 0) {
      throw new RequestError(
        `instance ${index} (0-based), value ${bad} (field ${quoteInput(names[bad]!)}): got ${typeName(row[bad])}; values must be a string, number, boolean or null`,
        400,
      );
    }
    return makeRecord(names, row as Cell[]);
  });
  return { columns: columns ?? [], records };
}
