/**
 * The AWS Lambda events the handler answers, told apart and checked before hono's adapter sees
 * them: that adapter assumes a well-formed API Gateway event and throws (or answers 500) on
 * anything else. A direct invocation (`aws lambda invoke`, an SDK call, Step Functions) uses a
 * small shape of our own, turned into an HTTP API event for POST /invocations, so that every
 * kind of event goes through the same app and the same adapter. See docs/lambda.md.
 */
import type { APIGatewayProxyResult, LambdaEvent } from 'hono/aws-lambda';
import { formatLimit } from './request-body.js';

/** Lambda's cap on a synchronous invocation's response (and request) payload: 6 MB. */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/** The direct invocation event: the body of a POST /invocations and what would be its headers. */
export interface DirectInvocationEvent {
  /** CSV / JSON Lines text, base64 text (with isBase64Encoded), or a JSON value sent as application/json. */
  body: unknown;
  isBase64Encoded?: boolean;
  /** Default: application/json for a JSON value, text/csv for a string. */
  contentType?: string;
  accept?: string;
  /** As X-Amzn-SageMaker-Custom-Attributes: `output=fill,precision_threshold=0.9`. */
  customAttributes?: string;
  /** As X-Amzn-SageMaker-Inference-Id (default: the Lambda request id). */
  requestId?: string;
}

export type EventKind = 'http-api' | 'function-url' | 'rest-api' | 'alb' | 'direct';

export type ClassifiedEvent = { kind: EventKind; event: LambdaEvent } | { kind: 'malformed'; reason: string };

/** The answer to every kind of event (hono's result type; REST events with multi-value headers get multiValueHeaders). */
export type LambdaResult = APIGatewayProxyResult;

const DIRECT_KEYS = new Set(['body', 'isBase64Encoded', 'contentType', 'accept', 'customAttributes', 'requestId']);
// Standard base64 (what API Gateway and Function URLs send), whitespace tolerated as atob does.
const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`);

/** What kind of event this is, or why it is none the handler answers. */
export function classifyEvent(event: unknown): ClassifiedEvent {
  if (!isObject(event)) return malformed(`the event is ${describe(event)}, not a JSON object`);
  const context = event.requestContext;
  if (typeof event.rawPath === 'string' && isObject(context) && isObject(context.http)) {
    const kind = typeof context.domainName === 'string' && context.domainName.includes('.lambda-url.') ? 'function-url' : 'http-api';
    if (typeof context.http.method !== 'string') return malformed(`${kind} event without requestContext.http.method`);
    return checked(kind, event);
  }
  if (typeof event.httpMethod === 'string' && typeof event.path === 'string') {
    return checked(isObject(context) && 'elb' in context ? 'alb' : 'rest-api', event);
  }
  if ('body' in event && Object.keys(event).every((key) => DIRECT_KEYS.has(key))) return direct(event);
  const keys = Object.keys(event).slice(0, 10).join(', ') || 'none';
  return malformed(
    `unknown event shape (keys: ${keys}); expected an API Gateway HTTP API (v2) or REST (v1) event, a Function URL event, or a direct invocation {"body": ..., "contentType"?, "accept"?, "customAttributes"?, "isBase64Encoded"?, "requestId"?}`,
  );
}

function malformed(reason: string): ClassifiedEvent {
  return { kind: 'malformed', reason };
}

/** The parts hono's adapter reads without checking: headers, body and its encoding. */
function checked(kind: EventKind, event: Record<string, unknown>): ClassifiedEvent {
  for (const field of ['headers', 'multiValueHeaders', 'queryStringParameters', 'multiValueQueryStringParameters']) {
    const value = event[field];
    if (value !== undefined && value !== null && !isObject(value)) return malformed(`${kind} event: ${field} is ${describe(value)}, not an object`);
  }
  if (isObject(event.headers)) {
    const bad = Object.entries(event.headers).find(([, v]) => v !== undefined && v !== null && typeof v !== 'string');
    if (bad) return malformed(`${kind} event: header "${bad[0]}" is ${describe(bad[1])}, not a string`);
  }
  const problem = bodyProblem(event.body, event.isBase64Encoded);
  if (problem) return malformed(`${kind} event: ${problem}`);
  return { kind, event: event as unknown as LambdaEvent };
}

function bodyProblem(body: unknown, base64: unknown): string | undefined {
  if (base64 !== undefined && base64 !== null && typeof base64 !== 'boolean') return `isBase64Encoded is ${describe(base64)}, not a boolean`;
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'string') return `body is ${describe(body)}, not a string`;
  if (base64 === true && !BASE64.test(body)) return 'body is marked isBase64Encoded but is not base64';
  return undefined;
}

/** A direct invocation as the HTTP API event of POST /invocations with the same body and headers. */
function direct(event: Record<string, unknown>): ClassifiedEvent {
  const d = event as unknown as DirectInvocationEvent;
  for (const key of ['contentType', 'accept', 'customAttributes', 'requestId'] as const) {
    if (d[key] !== undefined && typeof d[key] !== 'string') return malformed(`direct invocation: ${key} is ${describe(d[key])}, not a string`);
  }
  const json = typeof d.body === 'object' && d.body !== null;
  if (!json && typeof d.body !== 'string') {
    return malformed(`direct invocation: body is ${describe(d.body)}; give a string (CSV, JSON, JSON Lines) or a JSON object or array`);
  }
  if (json && d.isBase64Encoded) return malformed('direct invocation: isBase64Encoded is set but body is not a string');
  if (json && d.contentType !== undefined && !/^application\/json\s*(;|$)/i.test(d.contentType)) {
    return malformed(`direct invocation: body is a JSON ${describe(d.body).slice(2)} but contentType is "${d.contentType}"; send other types as a string`);
  }
  const body = json ? JSON.stringify(d.body) : (d.body as string);
  const problem = bodyProblem(body, d.isBase64Encoded);
  if (problem) return malformed(`direct invocation: ${problem}`);
  const headers: Record<string, string> = { 'content-type': d.contentType ?? (json ? 'application/json' : 'text/csv') };
  if (d.accept !== undefined) headers.accept = d.accept;
  if (d.customAttributes !== undefined) headers['x-amzn-sagemaker-custom-attributes'] = d.customAttributes;
  if (d.requestId !== undefined) headers['x-amzn-sagemaker-inference-id'] = d.requestId;
  const v2 = {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/invocations',
    rawQueryString: '',
    headers,
    requestContext: { domainName: 'direct-invocation.lambda', http: { method: 'POST', path: '/invocations' } },
    body,
    isBase64Encoded: d.isBase64Encoded === true,
  };
  return { kind: 'direct', event: v2 as unknown as LambdaEvent };
}

const REQUEST_ID_HEADERS = ['x-amzn-sagemaker-inference-id', 'x-request-id'];

/**
 * The event with `X-Request-Id` set to the Lambda request id, unless it brings an id of its own:
 * the access log line and error bodies then carry the id of Lambda's START/END/REPORT lines.
 */
export function withRequestId(event: LambdaEvent, requestId: string | undefined): LambdaEvent {
  if (!requestId) return event;
  const e = event as unknown as { headers?: Record<string, string | undefined> | null; multiValueHeaders?: Record<string, unknown> | null };
  const names = [...Object.keys(e.headers ?? {}), ...Object.keys(e.multiValueHeaders ?? {})].map((name) => name.toLowerCase());
  if (REQUEST_ID_HEADERS.some((name) => names.includes(name))) return event;
  return { ...event, headers: { ...(e.headers ?? {}), 'x-request-id': requestId } } as LambdaEvent;
}

/** A JSON error answer in the app's shape, for what never reaches the app. */
export function errorResult(status: number, message: string, requestId: string, multiValue = false): LambdaResult {
  const body = JSON.stringify({ error: message, requestId });
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-request-id': requestId };
  return multiValue
    ? { statusCode: status, body, isBase64Encoded: false, multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])) }
    : { statusCode: status, body, isBase64Encoded: false, headers };
}

/**
 * The app answers only in text (CSV, JSON, JSON Lines, empty): none of it is base64-encoded.
 * hono's default would encode application/jsonlines, which it does not know as text.
 */
export function isContentTypeBinary(contentType: string): boolean {
  return !/^text\/|[/+](json|jsonlines|jsonl|x-jsonlines|x-ndjson)\s*(;|$)/i.test(contentType);
}

/**
 * A result Lambda would refuse (over its 6 MB response cap: the caller would get a bare
 * "response payload size exceeded") becomes a 413 that says what to do. The size counted is the
 * serialised result's, as Lambda counts it; most answers are far below and skip the count.
 */
export function fitResponse(result: LambdaResult, limit: number, requestId: string): LambdaResult {
  // A UTF-16 unit is at most 3 bytes, and JSON escaping at most 6 characters per unit: 8 KB margin for the rest.
  if (result.body.length * 6 + 8192 <= limit) return result;
  const size = Buffer.byteLength(JSON.stringify(result));
  if (size <= limit) return result;
  return errorResult(
    413,
    `the answer (${formatLimit(size)}) is larger than Lambda's response limit of ${formatLimit(limit)}; send fewer rows per request`,
    requestId,
    'multiValueHeaders' in result && result.multiValueHeaders !== undefined,
  );
}
