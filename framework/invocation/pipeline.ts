/**
 * One invocation, whoever hosts it (the HTTP route, `byoc impute`, a future Lambda handler):
 * negotiate → decode → predict → present → encode, with the row limits, the custom attributes and
 * the deadline checks in this one place.
 *
 * `prepare` does what depends only on the request's headers (codecs, attributes, presenter), so
 * that a bad header is refused before a body is read and a file host prepares once for all its
 * chunks; `invoke` runs a whole request.
 */
import { inject, injectable } from 'inversify';
import type { Logger, PredictOptions, Predictor } from '../contract/algorithm.js';
import { RequestError } from '../contract/errors.js';
import type { AttributeSchema } from '../contract/parameters.js';
import type { OutputStructure, PredictionBatch, PredictionDetail, Presenter } from '../contract/prediction.js';
import { outputLength, type DataRecord, type InputBatch, type OutputBatch, type RecordBatch, type RowBatch } from '../contract/records.js';
import { TOKENS } from '../contract/services.js';
import type { BatchShape, Codec, CodecRegistry, DecodedBatch } from '../codecs/index.js';
import { CsvCodec } from '../codecs/csv.js';
import { CsvReadError, readCsv } from '../codecs/csv-stream.js';
import type { LoadedModel } from '../model/host.js';
import { parseAttributes } from '../parameters/parse.js';
import type { FrameworkConfig } from '../runtime/config.js';
import { requestAttributeSchema } from '../contract/framework-attributes.js';
import { parseCustomAttributes } from './attributes.js';
import type { RequestCancellation } from './cancellation.js';
import type { PresenterCatalog } from './presenters.js';

/** The headers of a request, as received (undefined when absent). */
export interface InvocationHeaders {
  contentType: string | undefined;
  accept: string | undefined;
  customAttributes: string | undefined;
}

export interface InvocationRequest extends InvocationHeaders {
  requestId: string;
  /** The deadline and the client's presence. */
  cancellation: RequestCancellation;
  /** Reads the body; called only once the headers were accepted. */
  readBody(): Promise<Uint8Array>;
}

export interface InvocationResult {
  body: string;
  mediaType: string;
}

/** A request's headers resolved against one model: reused for every batch of the request. */
export interface PreparedInvocation {
  readonly decoder: Codec;
  readonly encoder: Codec;
  readonly presenter: Presenter;
  decode(body: Uint8Array): DecodedBatch;
  /** predict + present, with the one-record-per-record checks. */
  run(batch: InputBatch, context: InvocationContext): Promise<OutputBatch>;
  encode(output: OutputBatch, shape: BatchShape): string;
  /** decode → run → encode of a whole body, the deadline checked before predict and before encoding. */
  answer(body: Uint8Array, context: InvocationContext): Promise<InvocationResult>;
  /** Whether answerStream can answer this request (CSV in and out). */
  readonly streams: boolean;
  /**
   * As answer, for a body that arrives in chunks: decoded, predicted and encoded a slice of rows at a
   * time, each slice's text handed to `write` (awaited) before the next is read, so that memory is
   * bounded whatever the body's size. `server.maxRows` bounds a slice, not the whole body.
   */
  answerStream(
    chunks: AsyncIterable<Uint8Array>,
    write: (text: string) => Promise<void>,
    context: InvocationContext,
  ): Promise<{ mediaType: string; rows: number }>;
}

/** Rows per slice of a streamed body: large enough that per-slice costs vanish, small enough to keep memory flat. */
export const STREAM_SLICE_ROWS = 4096;

/** Who asks, and until when. */
export interface InvocationContext {
  requestId: string;
  cancellation: RequestCancellation;
  /** Sees each batch's predictions before they are presented (`byoc impute` counts what it filled). */
  observe?: (input: InputBatch, predictions: PredictionBatch) => void;
}

/** Custom-attribute headers remembered per model (clients repeat theirs; most send none). */
const ATTRIBUTE_MEMO_SIZE = 64;

const NO_DETAIL: PredictionDetail = Object.freeze({ candidates: false, explanations: false });

/** What the pipeline derives once per loaded model. */
class ModelOutputs {
  readonly schema: AttributeSchema;
  private readonly presenters = new Map<string, Presenter>();
  private readonly details = new WeakMap<Presenter, PredictionDetail>();
  private readonly attributeMemo = new Map<string, Readonly<Record<string, unknown>>>();
  private readonly chosen = new Map<string, Presenter>();

  constructor(
    private readonly model: LoadedModel,
    catalog: PresenterCatalog,
  ) {
    this.schema = requestAttributeSchema(model.algorithm as { attributes?: AttributeSchema });
    for (const p of catalog.list()) this.presenters.set(p.name, p);
    // A model's own presenter of the same name takes precedence.
    for (const p of model.predictor.presenters ?? []) this.presenters.set(p.name, p as Presenter);
  }

  /** The validated, frozen attributes of a header (shared between requests: never mutate). */
  attributes(raw: string | undefined): Readonly<Record<string, unknown>> {
    const key = raw ?? '';
    let parsed = this.attributeMemo.get(key);
    if (!parsed) {
      parsed = Object.freeze(parseAttributes(this.schema, parseCustomAttributes(raw)));
      if (this.attributeMemo.size >= ATTRIBUTE_MEMO_SIZE) this.attributeMemo.clear();
      this.attributeMemo.set(key, parsed);
    }
    return parsed;
  }

  presenter(requested: string | undefined, structure: OutputStructure, mediaType: string): Presenter {
    const key = `${structure}\u0000${requested ?? ''}`;
    let presenter = this.chosen.get(key);
    if (!presenter) {
      presenter = this.choose(requested, structure, mediaType);
      // Only names that exist get here, so the map stays as small as the presenter list.
      this.chosen.set(key, presenter);
    }
    return presenter;
  }

  private choose(requested: string | undefined, structure: OutputStructure, mediaType: string): Presenter {
    const name = requested ?? this.model.predictor.defaultPresenters?.[structure] ?? 'columns';
    const presenter = this.presenters.get(name);
    const choices = (): string =>
      [...this.presenters.values()]
        .filter((p) => p.structures.includes(structure))
        .map((p) => `${p.name} (${p.description})`)
        .join('; ');
    if (!presenter) {
      if (requested === undefined) throw new Error(`the model's default presenter "${name}" for ${structure} output is not registered`);
      throw new RequestError(`custom attribute "output" = "${requested}" names no output; for ${mediaType} choose one of: ${choices()}`, 400);
    }
    if (!presenter.structures.includes(structure)) {
      throw new RequestError(`output "${name}" cannot be written as ${mediaType}; for ${mediaType} choose one of: ${choices()}`, 406);
    }
    return presenter;
  }

  detail(presenter: Presenter): PredictionDetail {
    let detail = this.details.get(presenter);
    if (!detail) {
      detail = presenter.detail ? Object.freeze({ ...NO_DETAIL, ...presenter.detail }) : NO_DETAIL;
      this.details.set(presenter, detail);
    }
    return detail;
  }
}

@injectable()
export class InvocationPipeline {
  private readonly limits: { maxRows: number; maxColumns: number };
  private readonly outputs = new WeakMap<Predictor, ModelOutputs>();

  constructor(
    @inject(TOKENS.Codecs) private readonly codecs: CodecRegistry,
    @inject(TOKENS.Presenters) private readonly catalog: PresenterCatalog,
    @inject(TOKENS.Config) config: FrameworkConfig,
    @inject(TOKENS.Logger) private readonly logger: Logger,
  ) {
    this.limits = { maxRows: config.server.maxRows, maxColumns: config.server.maxColumns };
  }

  /** A whole request: the deadline is checked before predict starts and before the answer is encoded. */
  async invoke(model: LoadedModel, request: InvocationRequest): Promise<InvocationResult> {
    const prepared = this.prepare(model, request);
    return prepared.answer(await request.readBody(), request);
  }

  /** Resolves the headers (415, 406 or 400 when they cannot be served). */
  prepare(model: LoadedModel, headers: InvocationHeaders): PreparedInvocation {
    const { algorithm, predictor } = model;
    let outputs = this.outputs.get(predictor);
    if (!outputs) this.outputs.set(predictor, (outputs = new ModelOutputs(model, this.catalog)));
    const { decoder, params, encoder } = this.codecs.negotiate(headers.contentType, headers.accept, algorithm.contentTypes);
    const attributes = outputs.attributes(headers.customAttributes);
    const structure = encoder.structure;
    const presenter = outputs.presenter(attributes['output'] as string | undefined, structure, encoder.mediaType);
    return new Prepared(
      model,
      decoder,
      params,
      encoder,
      presenter,
      outputs.detail(presenter),
      attributes,
      headers.customAttributes ?? '',
      this.limits,
      this.logger,
    );
  }
}

/** One request's resolved headers: a plain object of fields, its steps as methods (nothing allocated per step). */
class Prepared implements PreparedInvocation {
  constructor(
    private readonly model: LoadedModel,
    readonly decoder: Codec,
    private readonly mediaParams: Readonly<Record<string, string>>,
    readonly encoder: Codec,
    readonly presenter: Presenter,
    private readonly detail: PredictionDetail,
    private readonly attributes: Readonly<Record<string, unknown>>,
    private readonly rawCustomAttributes: string,
    private readonly limits: { maxRows: number; maxColumns: number },
    private readonly logger: Logger,
  ) {}

  decode(body: Uint8Array): DecodedBatch {
    return this.decoder.decode(body, { schema: this.model.manifest.inputSchema, mediaParams: this.mediaParams, limits: this.limits });
  }

  async answer(body: Uint8Array, context: InvocationContext): Promise<InvocationResult> {
    const batch = this.decode(body);
    const output = await this.run(batch, context);
    context.cancellation.throwIfOverdue();
    return { body: this.encode(output, batch.shape), mediaType: this.encoder.mediaType };
  }

  get streams(): boolean {
    return this.decoder instanceof CsvCodec && this.encoder instanceof CsvCodec;
  }

  async answerStream(
    chunks: AsyncIterable<Uint8Array>,
    write: (text: string) => Promise<void>,
    context: InvocationContext,
  ): Promise<{ mediaType: string; rows: number }> {
    if (!(this.decoder instanceof CsvCodec)) throw new Error('answerStream needs a CSV request');
    const slices = this.decoder.slices({ schema: this.model.manifest.inputSchema, mediaParams: this.mediaParams, limits: this.limits });
    let rows = 0;
    let first = true;
    try {
      for await (const batch of readCsv(chunks, { source: 'request body', blankLines: 'skip', batchRows: Math.min(STREAM_SLICE_ROWS, this.limits.maxRows) })) {
        const decoded = slices.decode(batch.rows, (i) => batch.lineOf(i));
        const output = await this.run(decoded, context);
        context.cancellation.throwIfOverdue();
        // the header, if the request had one, goes out once, with the first slice
        await write(this.encode(output, first ? decoded.shape : 'csv-headerless'));
        first = false;
        rows += decoded.records.length;
      }
    } catch (error) {
      if (error instanceof CsvReadError) throw new RequestError(`invalid CSV at line ${error.line}: ${error.reason}`, 400);
      throw error;
    }
    if (first) throw new RequestError('empty body', 400);
    return { mediaType: this.encoder.mediaType, rows };
  }

  async run(batch: InputBatch, { requestId, cancellation, observe }: InvocationContext): Promise<OutputBatch> {
    const { algorithm, predictor } = this.model;
    const options: PredictOptions = {
      attributes: this.attributes,
      rawCustomAttributes: this.rawCustomAttributes,
      detail: this.detail,
      get signal() {
        return cancellation.signal;
      },
      requestId,
      logger: this.logger,
    };
    // predict never starts past the deadline, so a synchronous predictor need not watch the signal.
    cancellation.throwIfOverdue();
    // The plugin and the presenter see the batch without the decoder's `shape`.
    const input: InputBatch = batch.rows
      ? { columns: batch.columns, records: batch.records, rows: batch.rows }
      : { columns: batch.columns, records: batch.records };
    const predictions = await predictor.predict(input, options);
    // Never answer with fewer (or more) rows than were sent: that is a plugin defect.
    if (!predictions || !Array.isArray(predictions.records) || predictions.records.length !== batch.records.length) {
      throw new Error(`algorithm "${algorithm.name}" returned ${predictions?.records?.length ?? 'no'} predictions for ${batch.records.length} input records`);
    }
    observe?.(input, predictions);
    const presenter = this.presenter;
    const output = presenter.present({
      input,
      predictions,
      targets: predictor.targets,
      attributes: this.attributes,
      structure: this.encoder.structure,
      logger: this.logger,
    });
    const count =
      output && (Array.isArray((output as RowBatch).rows) || Array.isArray((output as RecordBatch<DataRecord>).records)) ? outputLength(output) : undefined;
    if (count !== batch.records.length) {
      throw new Error(`presenter "${presenter.name}" returned ${count ?? 'no'} records for ${batch.records.length} input records`);
    }
    return output;
  }

  encode(output: OutputBatch, shape: BatchShape): string {
    return this.encoder.encode(output, shape);
  }
}
