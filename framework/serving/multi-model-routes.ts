/**
 * The model management API of a multi-model endpoint (SageMaker's MME container contract):
 * POST /models loads one, GET /models lists them (paginated), GET /models/{name} describes one,
 * DELETE /models/{name} unloads it. /models/{name}/invoke is the invocation route (app.ts).
 */
import { ModelCatalogError, type ModelCatalog } from '../model/model-catalog.js';
import { errorResponse, JSON_TYPE, textResponse, type Exchange, type MethodHandler } from './exchange.js';
import type { ModelRegistry } from './model-registry.js';

export const MULTI_MODEL_INVOCATIONS = 'this is a multi-model endpoint: invoke a model with POST /models/{name}/invoke (TargetModel in InvokeEndpoint)';

/** A load request is a small JSON object: anything larger is refused before it is parsed. */
const MAX_LOAD_BODY_BYTES = 64 * 1024;
const MAX_NAME_CHARS = 256;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

const json = (x: Exchange, status: number, value: unknown): Response => textResponse(x, status, JSON.stringify(value), JSON_TYPE);
const described = (m: { name: string; url: string }) => ({ modelName: m.name, modelUrl: m.url });

/** What is wrong with a load request's body, or its name and url. */
function loadRequest(text: string): { name: string; url: string } | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'the body must be JSON: {"model_name": "...", "url": "/opt/ml/models/.../model"}';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object with "model_name" and "url"';
  const { model_name: name, url } = body as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return '"model_name" must be a non-empty string';
  if (name.length > MAX_NAME_CHARS) return `"model_name" is longer than ${MAX_NAME_CHARS} characters`;
  // it is addressed as a path segment: /models/{name}
  // eslint-disable-next-line no-control-regex
  if (/[/\u0000-\u001f\u007f]/.test(name)) return '"model_name" must not contain "/" or control characters';
  if (typeof url !== 'string' || !url.startsWith('/')) return '"url" must be the absolute path of the folder the model was unpacked into';
  return { name, url };
}

/** POST /models: loads the model here (so that its problems are answered now), then registers it endpoint-wide. */
export function loadModelRoute(catalog: ModelCatalog, registry: ModelRegistry): MethodHandler {
  return async (c, x) => {
    if (Number(c.req.header('content-length') ?? 0) > MAX_LOAD_BODY_BYTES)
      return errorResponse(x, 413, `a load request is at most ${MAX_LOAD_BODY_BYTES} bytes`);
    const text = await c.req.text();
    if (Buffer.byteLength(text) > MAX_LOAD_BODY_BYTES) return errorResponse(x, 413, `a load request is at most ${MAX_LOAD_BODY_BYTES} bytes`);
    const request = loadRequest(text);
    if (typeof request === 'string') return errorResponse(x, 400, request);
    const { name, url } = request;
    try {
      await catalog.add(name, url, true);
    } catch (error) {
      if (error instanceof ModelCatalogError) return errorResponse(x, error.status, error.message);
      throw error;
    }
    const claim = await registry.claim(name, url);
    if (!claim.ok) {
      // another worker loaded the same name meanwhile: its registration stands, here too
      catalog.remove(name);
      if (claim.url !== undefined) await catalog.add(name, claim.url, false);
      return errorResponse(x, 409, `model "${name}" is already loaded`);
    }
    return json(x, 200, described(request));
  };
}

/** GET /models[?next_page_token=T][&max_results=N]: the registered models, a page at a time. */
export function listModels(catalog: ModelCatalog): MethodHandler {
  return (c, x) => {
    const token = c.req.query('next_page_token');
    const size = c.req.query('max_results');
    const start = token === undefined ? 0 : Number(token);
    if (!Number.isInteger(start) || start < 0) return errorResponse(x, 400, `next_page_token "${token}" is not one this endpoint gave`);
    const page = size === undefined ? DEFAULT_PAGE : Number(size);
    if (!Number.isInteger(page) || page < 1 || page > MAX_PAGE) return errorResponse(x, 400, `max_results must be an integer from 1 to ${MAX_PAGE}`);
    const all = catalog.list();
    const models = all.slice(start, start + page).map(described);
    return json(x, 200, start + page < all.length ? { models, nextPageToken: String(start + page) } : { models });
  };
}

/** GET /models/{name}. */
export function describeModel(catalog: ModelCatalog): MethodHandler {
  return (c, x) => {
    const model = catalog.get(c.req.param('name') ?? '');
    return model ? json(x, 200, described(model)) : unknownModel(x, c.req.param('name') ?? '');
  };
}

/** DELETE /models/{name}: unregistered endpoint-wide; requests using it finish first, then its memory is freed. */
export function unloadModel(catalog: ModelCatalog, registry: ModelRegistry): MethodHandler {
  return async (c, x) => {
    const name = c.req.param('name') ?? '';
    if (!catalog.has(name)) return unknownModel(x, name);
    const released = await registry.release(name);
    catalog.remove(name);
    return released ? json(x, 200, { modelName: name }) : unknownModel(x, name);
  };
}

function unknownModel(x: Exchange, name: string): Response {
  return errorResponse(x, 404, `model "${name}" is not loaded`);
}
