/**
 * The messages between a serving worker's HTTP thread and its inference thread, and the marker by
 * which a process entry point knows it was started as an inference thread.
 */
import type { RequestError } from '../contract/errors.js';
import type { InvocationHeaders } from '../invocation/pipeline.js';
import type { FrameworkConfig } from '../runtime/config.js';

/** `workerData` of an inference thread: it composes the same framework as its worker. */
export interface InferenceThreadData {
  readonly byocRole: 'inference-thread';
  readonly config: FrameworkConfig;
  readonly modelDir: string;
}

export function isInferenceThreadData(value: unknown): value is InferenceThreadData {
  return typeof value === 'object' && value !== null && (value as { byocRole?: unknown }).byocRole === 'inference-thread';
}

/** HTTP thread → inference thread. */
export interface InvokeMessage {
  type: 'invoke';
  id: number;
  requestId: string;
  headers: InvocationHeaders;
  body: Uint8Array;
  /** What is left of the request's deadline when it is handed over. */
  timeoutMs: number;
}

/** Inference thread → HTTP thread. */
export type ThreadMessage =
  | { type: 'ready'; loadMs: number }
  | { type: 'failed'; reason: string }
  | { type: 'answer'; id: number; body: Uint8Array; mediaType: string }
  /** A RequestError: its status and message go to the client as they are. */
  | { type: 'refused'; id: number; status: RequestError['status']; message: string }
  /** Anything else: a 500 for the client, the message and stack for the log. */
  | { type: 'crashed'; id: number; message: string; stack: string | undefined };
