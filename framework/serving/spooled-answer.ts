/**
 * Large CSV bodies (batch transform sends up to 100 MB, asynchronous inference up to 1 GB) are
 * answered as they arrive: read a slice of rows at a time through the pipeline, the answer spooled
 * to a temporary file, then sent with its Content-Length (asynchronous inference refuses chunked
 * answers). Memory stays at a few slices whatever the size; the file is unlinked as soon as it is
 * open, so nothing is left behind, even by a crash.
 */
import { open, unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { PreparedInvocation } from '../invocation/pipeline.js';
import type { RequestCancellation } from '../invocation/cancellation.js';
import { tooLarge } from './request-body.js';
import { RequestError } from '../contract/errors.js';

export interface SpooledAnswer {
  body: ReadableStream<Uint8Array>;
  bytes: number;
  mediaType: string;
}

/** Whether to stream the body: it is chunked (no declared length) or declared at least `minBytes`. */
export function streamsBody(incoming: IncomingMessage, minBytes: number): boolean {
  const declared = incoming.headers['content-length'];
  return declared === undefined || Number(declared) >= minBytes;
}

/** The body's chunks, refused past `limit` bytes (a declared length over it before any is read), stopped when the request is. */
async function* limitedBody(incoming: IncomingMessage, limit: number, cancellation: RequestCancellation): AsyncGenerator<Uint8Array> {
  const declared = Number(incoming.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit, declared);
  let size = 0;
  try {
    for await (const chunk of incoming as AsyncIterable<Buffer>) {
      if (cancellation.signal.aborted) return;
      size += chunk.length;
      if (size > limit) throw tooLarge(limit);
      yield chunk;
    }
  } catch (error) {
    if (error instanceof RequestError) throw error;
    throw new RequestError(`request body could not be read: ${(error as Error).message}`, 400);
  }
}

let spooled = 0;

export async function answerSpooled(
  prepared: PreparedInvocation,
  incoming: IncomingMessage,
  limit: number,
  cancellation: RequestCancellation,
  requestId: string,
): Promise<SpooledAnswer> {
  const file = path.join(os.tmpdir(), `.byoc-answer-${process.pid}-${++spooled}`);
  const handle = await open(file, 'wx+', 0o600);
  await unlink(file);
  let bytes = 0;
  try {
    const { mediaType } = await prepared.answerStream(
      limitedBody(incoming, limit, cancellation),
      async (text) => {
        const { bytesWritten } = await handle.write(text);
        bytes += bytesWritten;
      },
      { requestId, cancellation },
    );
    const stream = handle.createReadStream({ start: 0, autoClose: true });
    return { body: Readable.toWeb(stream) as ReadableStream<Uint8Array>, bytes, mediaType };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
