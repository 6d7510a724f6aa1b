/**
 * The inference thread's side: loads the model once, then answers one request at a time through
 * the same invocation pipeline as the HTTP thread. Its event loop is the one that stays busy, so
 * the HTTP thread keeps answering /ping; the HTTP thread stops it when a request runs past its
 * deadline.
 */
import type { MessagePort } from 'node:worker_threads';
import { RequestError } from '../contract/errors.js';
import { RequestCancellation } from '../invocation/cancellation.js';
import type { InvocationPipeline } from '../invocation/pipeline.js';
import type { ModelHost } from '../model/host.js';
import type { InvokeMessage, ThreadMessage } from './thread-protocol.js';

/** The answer as bytes of its own buffer, so that it can be transferred instead of copied. */
function ownBytes(text: string): Uint8Array {
  const bytes = Buffer.from(text);
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
  return new Uint8Array(bytes);
}

export async function runInferenceLoop(port: MessagePort, host: ModelHost, pipeline: InvocationPipeline, timeoutMessage: string): Promise<void> {
  const post = (message: ThreadMessage, transfer?: ArrayBuffer[]): void => port.postMessage(message, transfer);
  const state = await host.load();
  if (state.status !== 'ready') {
    post({ type: 'failed', reason: state.status === 'failed' ? state.reason : 'model not loaded' });
    return;
  }
  let queue = Promise.resolve();
  port.on('message', (message: InvokeMessage) => {
    // One request at a time, in arrival order (the HTTP thread sends the next only after an answer).
    queue = queue.then(async () => {
      const cancellation = new RequestCancellation(Math.max(1, message.timeoutMs), timeoutMessage);
      try {
        const result = await pipeline.invoke(state, {
          ...message.headers,
          requestId: message.requestId,
          cancellation,
          readBody: () => Promise.resolve(message.body),
        });
        const body = ownBytes(result.body);
        post({ type: 'answer', id: message.id, body, mediaType: result.mediaType }, [body.buffer as ArrayBuffer]);
      } catch (error) {
        if (error instanceof RequestError) post({ type: 'refused', id: message.id, status: error.status, message: error.message });
        else post({ type: 'crashed', id: message.id, message: (error as Error)?.message ?? String(error), stack: (error as Error)?.stack });
      } finally {
        cancellation.dispose();
      }
    });
  });
  post({ type: 'ready', loadMs: state.loadMs });
}
