/**
 * The inference HTTP API (hono), per worker: /ping, /invocations, /execution-parameters.
 * Errors are part of the interface: every failure is a JSON body `{"error": ..., "requestId": ...}`
 * with the right status, and unknown paths answer 404 `{}` like the original container.
 */
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { Logger, PredictOptions } from '../contract/algorithm.js';
import { RequestError } from '../contract/errors.js';
import type { CodecRegistry } from '../codecs/index.js';
import type { FrameworkConfig } from '../runtime/config.js';
import { payloadLimitBytes } from '../runtime/server-settings.js';
import { CUSTOM_ATTRIBUTES_HEADER, parseCustomAttributes } from './custom-attributes.js';
import type { ModelHost, ModelState } from './model-host.js';
import { readRequestBody } from './request-body.js';

type Env = { Bindings: HttpBindings; Variables: { requestId: string; bytes: number | undefined } };

export interface AppDependencies {
  config: FrameworkConfig;
  logger: Logger;
  codecs: CodecRegistry;
  model: ModelHost;
  /** Number of workers, for /execution-parameters. */
  workers: number;
  /** Called around each /invocations request, for graceful shutdown accounting. */
  inflight?: { begin(): void; end(): void };
}

const JSON_TYPE = 'application/json';

/**
 * Every response of the API: a text body with Content-Length and the request id. Built directly
 * with plain-object headers: @hono/node-server then writes it without creating a WHATWG Headers
 * object (hono's c.body() builds one per response, and reading c.res.headers afterwards builds
 * another): about 10% of the CPU time of a small request.
 */
function textResponse(c: Context<Env>, status: number, text: string, type?: string, extra?: Record<string, string>): Response {
  const bytes = Buffer.byteLength(text);
  c.set('bytes', bytes);
  const headers: Record<string, string> = { 'Content-Length': String(bytes), 'X-Request-Id': c.get('requestId'), ...extra };
  if (type) headers['Content-Type'] = type;
  return new Response(text, { status, headers });
}

function errorResponse(c: Context<Env>, status: number, message: string, extra?: Record<string, string>): Response {
  return textResponse(c, status, JSON.stringify({ error: message, requestId: c.get('requestId') }), JSON_TYPE, extra);
}

/**
 * A request header straight from Node's parsed headers (name in lower case). Reading c.req.header()
 * would build a WHATWG Headers object for every request (a few % of a small request's CPU).
 */
function header(c: Context<Env>, name: string): string | undefined {
  // Without Node bindings (app.fetch called directly, e.g. by an embedding host) use hono's view.
  const incoming = c.env?.incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function methodNotAllowed(allow: string) {
  return (c: Context<Env>): Response =>
    errorResponse(c, 405, `method ${c.req.method} is not allowed on ${c.req.path}; use ${allow}`, { Allow: allow });
}

export function createApp(deps: AppDependencies): Hono<Env> {
  const { config, logger, codecs, model } = deps;
  const app = new Hono<Env>();
  const limit = payloadLimitBytes(config);
  const timeoutMs = config.server.timeoutSeconds * 1000;
  let counter = 0;
  const idPrefix = `${process.pid.toString(36)}-`;

  // Request id + access log. The id comes from SageMaker's inference id when present.
  app.use('*', async (c, next) => {
    const started = performance.now();
    const requestId =
      header(c, 'x-amzn-sagemaker-inference-id') ?? header(c, 'x-request-id') ?? `${idPrefix}${(++counter).toString(36)}`;
    c.set('requestId', requestId.slice(0, 128));
    await next();
    let bytes = c.get('bytes');
    if (bytes === undefined) {
      // A response not made by textResponse (hono's own): add the id the slow way.
      c.res.headers.set('X-Request-Id', c.get('requestId'));
      const length = c.res.headers.get('content-length');
      bytes = length === null ? undefined : Number(length);
    }
    logger.info('request', {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      bytes,
      ms: Math.round((performance.now() - started) * 100) / 100,
      requestId: c.get('requestId'),
    });
  });

  app.get('/ping', (c) => {
    const state = model.state;
    if (state.status === 'ready') return textResponse(c, 200, '');
    return errorResponse(c, 503, state.status === 'loading' ? 'model is loading' : 'model could not be loaded (see the server log)');
  });
  app.all('/ping', methodNotAllowed('GET'));

  app.get('/execution-parameters', (c) =>
    textResponse(
      c,
      200,
      JSON.stringify({
        MaxConcurrentTransforms:
          config.batch.maxConcurrentTransforms === 'auto' ? deps.workers : config.batch.maxConcurrentTransforms,
        BatchStrategy: config.batch.strategy,
        MaxPayloadInMB: Math.floor(config.batch.maxPayloadMb),
      }),
      JSON_TYPE,
    ),
  );
  app.all('/execution-parameters', methodNotAllowed('GET'));

  app.post('/invocations', async (c) => {
    // /ping of a loading worker says 503, but cluster may still route a request here while another
    // worker already said 200: wait for this worker's load rather than fail the request.
    const state = model.state.status === 'loading' ? await settledWithin(model, timeoutMs) : model.state;
    if (state.status !== 'ready') {
      return errorResponse(c, 503, state.status === 'loading' ? 'model is loading' : 'model could not be loaded (see the server log)');
    }
    deps.inflight?.begin();
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const started = performance.now();
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new RequestError(`request took longer than the timeout of ${config.server.timeoutSeconds} s`, 504));
      }, timeoutMs);
    });
    try {
      const work = (async () => {
        const types = state.algorithm.contentTypes;
        const { codec: decoder, params } = codecs.decoderFor(header(c, 'content-type'), types?.accepts);
        const encoder = codecs.encoderFor(header(c, 'accept'), decoder.mediaType, types?.produces);
        const body = await readRequestBody(c.env.incoming, limit, abort.signal);
        const batch = decoder.decode(body, {
          schema: state.manifest.inputSchema,
          mediaParams: params,
          limits: { maxRows: config.server.maxRows, maxColumns: config.server.maxColumns },
        });
        const rawAttributes = header(c, CUSTOM_ATTRIBUTES_HEADER.toLowerCase()) ?? '';
        const options: PredictOptions = {
          accept: encoder.mediaType,
          customAttributes: parseCustomAttributes(rawAttributes),
          rawCustomAttributes: rawAttributes,
          signal: abort.signal,
          requestId: c.get('requestId'),
          logger,
        };
        const output = await state.predictor.predict({ columns: batch.columns, records: batch.records }, options);
        if (!output || !Array.isArray(output.records) || output.records.length !== batch.records.length) {
          // Never answer with fewer (or more) rows than were sent: that is a plugin defect.
          throw new Error(
            `algorithm "${state.algorithm.name}" returned ${output?.records?.length ?? 'no'} records for ${batch.records.length} input records`,
          );
        }
        if (performance.now() - started > timeoutMs) {
          throw new RequestError(`request took longer than the timeout of ${config.server.timeoutSeconds} s`, 504);
        }
        return textResponse(c, 200, encoder.encode(output, batch.shape), encoder.mediaType);
      })();
      work.catch(() => undefined); // the race below reports it; avoid an unhandled rejection after a timeout
      return await Promise.race([work, timedOut]);
    } catch (error) {
      const incoming = c.env.incoming;
      if (!incoming.readableEnded) {
        // An unread body would corrupt the next request on this keep-alive connection: drain small
        // ones, but close the connection rather than read an oversized or stalled one.
        if (error instanceof RequestError && (error.status === 413 || error.status === 504)) {
          return errorResponse(c, error.status, error.message, { Connection: 'close' });
        }
        incoming.resume();
      }
      if (error instanceof RequestError) return errorResponse(c, error.status, error.message);
      logger.error('unexpected error while answering /invocations', {
        requestId: c.get('requestId'),
        error: (error as Error).message,
        stack: (error as Error).stack,
      });
      return errorResponse(c, 500, 'internal error; the server log has details under this request id');
    } finally {
      clearTimeout(timer);
      deps.inflight?.end();
    }
  });
  app.all('/invocations', methodNotAllowed('POST'));

  app.notFound((c) => textResponse(c, 404, '{}', JSON_TYPE));
  app.onError((error, c) => {
    logger.error('unexpected error', { requestId: c.get('requestId'), error: error.message, stack: error.stack });
    return errorResponse(c, 500, 'internal error; the server log has details under this request id');
  });
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
