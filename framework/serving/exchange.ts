/**
 * The pieces every route of the inference API shares: one request's bookkeeping (its id and the
 * bytes answered) and the responses built from it.
 */
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';

export type Env = { Bindings: HttpBindings };
export type Result = Response | Promise<Response>;

/** One request's bookkeeping: its id (response header, error bodies, log) and the bytes answered. */
export interface Exchange {
  readonly id: string;
  bytes: number | undefined;
}

/** A route's handler for one method; the Exchange replaces hono's per-request variables map. */
export type MethodHandler = (c: Context<Env>, x: Exchange) => Result;

export const JSON_TYPE = 'application/json';

/**
 * Every response of the API: a text body with Content-Length and the request id. Built directly
 * with plain-object headers: @hono/node-server then writes it without creating a WHATWG Headers
 * object (hono's c.body() builds one per response, and reading c.res.headers afterwards builds
 * another): about 10% of the CPU time of a small request.
 */
export function textResponse(x: Exchange, status: number, text: string | Uint8Array, type?: string, extra?: Record<string, string>): Response {
  const bytes = typeof text === 'string' ? Buffer.byteLength(text) : text.byteLength;
  x.bytes = bytes;
  const headers: Record<string, string> = { 'Content-Length': String(bytes), 'X-Request-Id': x.id };
  if (type) headers['Content-Type'] = type;
  if (extra) Object.assign(headers, extra);
  return new Response(text, { status, headers });
}

/** A 200 whose body is a stream of known length (a spooled answer). */
export function streamResponse(x: Exchange, answer: { body: ReadableStream<Uint8Array>; bytes: number; mediaType: string }): Response {
  x.bytes = answer.bytes;
  return new Response(answer.body, {
    status: 200,
    headers: { 'Content-Length': String(answer.bytes), 'X-Request-Id': x.id, 'Content-Type': answer.mediaType },
  });
}

export function errorResponse(x: Exchange, status: number, message: string, extra?: Record<string, string>): Response {
  return textResponse(x, status, JSON.stringify({ error: message, requestId: x.id }), JSON_TYPE, extra);
}

/**
 * A request header straight from Node's parsed headers (name in lower case). Reading c.req.header()
 * would build a WHATWG Headers object for every request (a few % of a small request's CPU).
 */
export function header(c: Context<Env>, name: string): string | undefined {
  // Without Node bindings (app.fetch called directly, e.g. by an embedding host) use hono's view.
  const incoming = c.env?.incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
