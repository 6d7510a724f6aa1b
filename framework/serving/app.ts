/**
 * The inference HTTP API (hono), per worker: /ping, /invocations, /execution-parameters.
 * Errors are part of the interface: every failure is a JSON body `{"error": ..., "requestId": ...}`
 * with the right status, and unknown paths answer 404 `{}` like the original container.
 */
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { errorResponse, header, JSON_TYPE, streamResponse, textResponse, type Env, type Exchange, type MethodHandler, type Result } from './exchange.js';
import { answerSpooled, streamsBody, type SpooledAnswer } from './spooled-answer.js';
import type { Logger } from '../contract/algorithm.js';
import { RequestError } from '../contract/errors.js';
import { CUSTOM_ATTRIBUTES_HEADER } from '../invocation/attributes.js';
import { RequestCancellation } from '../invocation/cancellation.js';
import type { InvocationPipeline } from '../invocation/pipeline.js';
import type { ModelHost, ModelState } from '../model/host.js';
import { ModelCatalogError, type ModelCatalog, type ModelLease } from '../model/model-catalog.js';
import { describeModel, listModels, loadModelRoute, MULTI_MODEL_INVOCATIONS, unloadModel } from './multi-model-routes.js';
import type { ModelRegistry } from './model-registry.js';
import type { FrameworkConfig } from '../runtime/config.js';
import { payloadLimitBytes, timeoutMessage } from '../runtime/server-settings.js';
import type { InferenceThread } from './inference-thread.js';
import { readFetchBody, readRequestBody } from './request-body.js';

export interface AppDependencies {
  config: FrameworkConfig;
  logger: Logger;
  model: ModelHost;
  pipeline: InvocationPipeline;
  /** Number of workers, for /execution-parameters. */
  workers: number;
  /** Called around each /invocations request, for graceful shutdown accounting. */
  inflight?: { begin(): void; end(): void };
  /** Where large requests are answered, off this event loop (none: all are answered here). */
  thread?: InferenceThread;
  /**
   * A multi-model endpoint's models (none: one model, `model`): /models loads, lists and unloads
   * them, /models/{name}/invoke answers with one, and /ping is 200 with none loaded.
   */
  models?: { catalog: ModelCatalog; registry: ModelRegistry };
}

/** A hono handler of the API: one per path, wrapped by logged(). */
type Handler = (c: Context<Env>) => Result;

/** Ids for requests that brought none: unique within the server (pid, then a counter). */
function requestIdSource(): () => string {
  let counter = 0;
  const idPrefix = `${process.pid.toString(36)}-`;
  return (): string => `${idPrefix}${(++counter).toString(36)}`;
}

/** A 500 for an error nobody expected: logged in full under the request id, the client gets no detail. */
function unexpected(logger: Logger, x: Exchange, error: unknown, path?: string): Response {
  logger.error(path ? `unexpected error while answering ${path}` : 'unexpected error', {
    requestId: x.id,
    error: (error as Error)?.message,
    stack: (error as Error)?.stack,
  });
  return errorResponse(x, 500, 'internal error; the server log has details under this request id');
}

/**
 * The wrapper that puts request id, access log line and last-resort error handling around a
 * handler. The routes use it instead of a hono middleware: with exactly one handler per route,
 * hono calls it directly and a synchronous answer (/ping) is written without a round of promises.
 * Called once per route when the app is built; per request only the Exchange and `done` are created.
 */
function loggedWith(logger: Logger, newRequestId: () => string): (handler: MethodHandler) => Handler {
  return (handler) =>
    (c: Context<Env>): Result => {
      const started = performance.now();
      // The id comes from SageMaker's inference id when present.
      const given = header(c, 'x-amzn-sagemaker-inference-id') ?? header(c, 'x-request-id');
      const x: Exchange = { id: given === undefined ? newRequestId() : given.slice(0, 128), bytes: undefined };
      const done = (res: Response): Response => {
        logger.info('request', {
          method: c.req.method,
          path: c.req.path,
          status: res.status,
          bytes: x.bytes,
          ms: Math.round((performance.now() - started) * 100) / 100,
          requestId: x.id,
        });
        return res;
      };
      let result: Result;
      try {
        result = handler(c, x);
      } catch (error) {
        return done(unexpected(logger, x, error, c.req.path));
      }
      return result instanceof Promise ? result.then(done, (error: unknown) => done(unexpected(logger, x, error, c.req.path))) : done(result);
    };
}

/** One handler per path that dispatches on the method: others get 405 with Allow. */
function route(logged: (handler: MethodHandler) => Handler, methods: { GET?: MethodHandler; POST?: MethodHandler; DELETE?: MethodHandler }): Handler {
  const allow = Object.keys(methods).join(', ');
  return logged((c, x) => {
    const method = c.req.method;
    // hono routes HEAD as GET (and drops the body).
    const handler = method === 'POST' ? methods.POST : method === 'GET' || method === 'HEAD' ? methods.GET : method === 'DELETE' ? methods.DELETE : undefined;
    if (handler) return handler(c, x);
    return errorResponse(x, 405, `method ${method} is not allowed on ${c.req.path}; use ${allow}`, { Allow: allow });
  });
}

/** GET /ping: 200 once the model is loaded, 503 while it loads or when it failed to load. */
function ping(model: ModelHost): MethodHandler {
  return (_c, x) => {
    const state = model.state;
    if (state.status === 'ready') return textResponse(x, 200, '');
    return errorResponse(x, 503, state.status === 'loading' ? 'model is loading' : 'model could not be loaded (see the server log)');
  };
}

/** GET /execution-parameters: what batch transform asks before it sends data. */
function executionParameters(deps: AppDependencies): MethodHandler {
  const { config } = deps;
  // Fixed for the life of the worker: built once.
  const body = JSON.stringify({
    MaxConcurrentTransforms: config.batch.maxConcurrentTransforms === 'auto' ? deps.workers : config.batch.maxConcurrentTransforms,
    BatchStrategy: config.batch.strategy,
    MaxPayloadInMB: Math.floor(config.batch.maxPayloadMb),
  });
  return (_c, x) => textResponse(x, 200, body, JSON_TYPE);
}

/** The model a request is answered with and what to do once it is answered, or the answer when there is none. */
type ModelResolver = (c: Context<Env>, x: Exchange) => Promise<ModelLease | Response> | ModelLease | Response;

/** The one model of a single-model endpoint. */
function singleModel(model: ModelHost, timeoutMs: number): ModelResolver {
  const lease = (state: ModelState, x: Exchange): ModelLease | Response =>
    state.status === 'ready'
      ? { model: state, release: () => undefined }
      : errorResponse(x, 503, state.status === 'loading' ? 'model is loading' : 'model could not be loaded (see the server log)');
  return (_c, x) =>
    // The serving worker listens only once its model has loaded; a host that takes requests earlier
    // (an embedding or a test) waits for the load rather than fail the request.
    model.state.status === 'loading' ? settledWithin(model, timeoutMs).then((state) => lease(state, x)) : lease(model.state, x);
}

/** The model named in the path of a multi-model endpoint's /models/{name}/invoke, loaded on first use. */
function namedModel(catalog: ModelCatalog): ModelResolver {
  return (c, x) =>
    catalog.acquire(c.req.param('name') ?? '').catch((error: unknown) => {
      if (error instanceof ModelCatalogError) return errorResponse(x, error.status, error.message);
      throw error;
    });
}

/**
 * POST /invocations (and a multi-model endpoint's /models/{name}/invoke): the request through the
 * invocation pipeline, under the request timeout.
 */
function invocations(deps: AppDependencies, resolve: ModelResolver, thread: InferenceThread | undefined): MethodHandler {
  const { config, logger, pipeline } = deps;
  const limit = payloadLimitBytes(config);
  const timeoutMs = config.server.timeoutSeconds * 1000;
  const message = timeoutMessage(config);
  const streamMinBytes = config.server.streamMinMb * 1024 * 1024;
  return async (c, x) => {
    const lease = await resolve(c, x);
    if (lease instanceof Response) return lease;
    deps.inflight?.begin();
    // Without Node bindings (app.fetch called by an embedding host or a test) the body comes from
    // the WHATWG request.
    const incoming = c.env?.incoming;
    const cancellation = new RequestCancellation(timeoutMs, message, c.env?.outgoing);
    const headers = { contentType: header(c, 'content-type'), accept: header(c, 'accept'), customAttributes: header(c, CUSTOM_ATTRIBUTES_HEADER) };
    const answer = async (): Promise<{ body: string | Uint8Array; mediaType: string } | SpooledAnswer> => {
      // Headers first: a request that cannot be served is refused before its body is read.
      const prepared = pipeline.prepare(lease.model, headers);
      if (incoming && prepared.streams && streamsBody(incoming, streamMinBytes)) return answerSpooled(prepared, incoming, limit, cancellation, x.id);
      const body = await (incoming ? readRequestBody(incoming, limit, cancellation) : readFetchBody(c.req.raw, limit, cancellation));
      if (thread?.takes(body.byteLength)) return thread.invoke(headers, x.id, body, cancellation);
      const started = performance.now();
      const result = await prepared.answer(body, { requestId: x.id, cancellation });
      thread?.observe(body.byteLength, performance.now() - started);
      return result;
    };
    try {
      const result = await cancellation.race(answer());
      return result.body instanceof ReadableStream ? streamResponse(x, result as SpooledAnswer) : textResponse(x, 200, result.body, result.mediaType);
    } catch (error) {
      return invocationFailure(logger, c, x, error, incoming, cancellation);
    } finally {
      cancellation.dispose();
      lease.release();
      deps.inflight?.end();
    }
  };
}

/** The answer to a failed /invocations request, and what becomes of its unread body. */
function invocationFailure(
  logger: Logger,
  c: Context<Env>,
  x: Exchange,
  error: unknown,
  incoming: HttpBindings['incoming'] | undefined,
  cancellation: RequestCancellation,
): Response {
  if (incoming && !incoming.readableEnded) {
    // An unread body would corrupt the next request on this keep-alive connection: drain small
    // ones, but close the connection rather than read an oversized or stalled one.
    if (error instanceof RequestError && (error.status === 413 || error.status === 504)) {
      return errorResponse(x, error.status, error.message, { Connection: 'close' });
    }
    incoming.resume();
  }
  if (error instanceof RequestError) return errorResponse(x, error.status, error.message);
  if (cancellation.clientClosed) {
    // The plugin stopped because nobody is waiting: not a server fault. 499 as in nginx's log.
    logger.info('client closed the connection before the answer; the request was cancelled', { requestId: x.id });
    return errorResponse(x, 499, 'the client closed the connection');
  }
  return unexpected(logger, x, error, c.req.path);
}

export function createApp(deps: AppDependencies): Hono<Env> {
  const app = new Hono<Env>();
  const newRequestId = requestIdSource();
  // Handlers and wrappers are built here, once per app; a request allocates no more than before
  // (its Exchange and the access-log callback).
  const logged = loggedWith(deps.logger, newRequestId);
  app.all('/execution-parameters', route(logged, { GET: executionParameters(deps) }));
  if (deps.models) {
    const { catalog, registry } = deps.models;
    // a multi-model endpoint is up with no model loaded; each request names its model
    app.all('/ping', route(logged, { GET: (_c, x) => textResponse(x, 200, '') }));
    app.all('/models', route(logged, { GET: listModels(catalog), POST: loadModelRoute(catalog, registry) }));
    app.all('/models/:name', route(logged, { GET: describeModel(catalog), DELETE: unloadModel(catalog, registry) }));
    app.all('/models/:name/invoke', route(logged, { POST: invocations(deps, namedModel(catalog), undefined) }));
    app.all('/invocations', route(logged, { POST: (_c, x) => errorResponse(x, 404, MULTI_MODEL_INVOCATIONS) }));
  } else {
    app.all('/ping', route(logged, { GET: ping(deps.model) }));
    app.all('/invocations', route(logged, { POST: invocations(deps, singleModel(deps.model, deps.config.server.timeoutSeconds * 1000), deps.thread) }));
  }
  app.notFound(logged((_c, x) => textResponse(x, 404, '{}', JSON_TYPE)));
  // Handlers catch their own errors (logged()); this only sees a failure inside hono itself.
  app.onError((error) => unexpected(deps.logger, { id: newRequestId(), bytes: undefined }, error));
  return app;
}

async function settledWithin(model: ModelHost, ms: number): Promise<ModelState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ModelState>((resolve) => {
    timer = setTimeout(() => resolve(model.state), ms);
  });
  try {
    return await Promise.race([model.settled(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
