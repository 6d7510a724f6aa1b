/**
 * `X-Amzn-SageMaker-Custom-Attributes` is free text (up to 1 KB on SageMaker). By convention here
 * it carries `key=value` pairs separated by `,` or `;`; a bare key means `true`. The pairs are then
 * parsed against the algorithm's attribute schema plus the framework's own (FRAMEWORK_ATTRIBUTES).
 */
import { RequestError } from '../contract/errors.js';

export const CUSTOM_ATTRIBUTES_HEADER = 'x-amzn-sagemaker-custom-attributes';
const MAX_LENGTH = 4096;

export function parseCustomAttributes(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (!raw) return out;
  if (raw.length > MAX_LENGTH) {
    throw new RequestError(`${CUSTOM_ATTRIBUTES_HEADER} is longer than ${MAX_LENGTH} characters`, 400);
  }
  for (const part of raw.split(/[,;]/)) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = (eq === -1 ? item : item.slice(0, eq)).trim();
    const value = eq === -1 ? 'true' : item.slice(eq + 1).trim();
    if (key === '') throw new RequestError(`${CUSTOM_ATTRIBUTES_HEADER}: "${item}" has no key before "="`, 400);
    out[key] = value;
  }
  return out;
}
