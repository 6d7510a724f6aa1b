/**
 * Reads a request body straight from Node's IncomingMessage with a byte limit: a declared
 * Content-Length over the limit is refused before any byte is read, a chunked body is cut off as
 * soon as it passes the limit, so an oversized request never sits in memory whole.
 */
import type { IncomingMessage } from 'node:http';
import { RequestError } from '../contract/errors.js';

export function formatLimit(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MB` : `${bytes} bytes`;
}

export function tooLarge(limit: number, size?: number): RequestError {
  const got = size === undefined ? '' : ` (${formatLimit(size)})`;
  return new RequestError(`request body${got} is larger than the limit of ${formatLimit(limit)}`, 413);
}

/** The part of an AbortSignal the reader uses: a signal fits, so does the server's RequestCancellation. */
export interface AbortWatch {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export function readRequestBody(incoming: IncomingMessage, limit: number, signal: AbortWatch): Promise<Uint8Array> {
  const declared = Number(incoming.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit, declared));
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('aborted', onAborted);
      signal.removeEventListener('abort', onAbort);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        incoming.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new RequestError(`request body could not be read: ${error.message}`, 400));
    };
    const onAborted = (): void => {
      cleanup();
      reject(new RequestError('client closed the connection before the body was complete', 400));
    };
    const onAbort = (): void => {
      cleanup();
      incoming.pause();
      reject(new RequestError('request body was not received in time', 504));
    };
    if (signal.aborted) return onAbort();
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('aborted', onAborted);
    signal.addEventListener('abort', onAbort);
  });
}

/** The same limits and deadline for a WHATWG Request (hosts without Node's IncomingMessage). */
export async function readFetchBody(request: Request, limit: number, signal: AbortWatch): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit, declared);
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  // Past the deadline, stop pulling the body (the 504 has been answered already).
  const onAbort = (): void => void reader.cancel().catch(() => undefined);
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal.aborted) throw new RequestError('request body was not received in time', 504);
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
