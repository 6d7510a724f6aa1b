/**
 * S3 helpers: `s3://` URIs, file upload (single PutObject for small files, multipart above a
 * threshold, without extra dependencies) and reading an object as text.
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

export interface S3Location {
  bucket: string;
  key: string;
}

export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: m[1]!, key: m[2]! };
}

export function s3Uri(bucket: string, ...parts: string[]): string {
  const key = parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p !== '')
    .join('/');
  return `s3://${bucket}/${key}`;
}

export function isS3Uri(text: string): boolean {
  return text.startsWith('s3://');
}

/**
 * What is wrong with `uri` as an `s3://bucket[/key-prefix]` URI (bucket naming rules: 3-63
 * characters of a-z 0-9 . -, starting and ending with a letter or digit; no spaces or `//`
 * in the key), or undefined when it is fine.
 */
export function checkS3Uri(uri: string): string | undefined {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(uri);
  if (!m) return `expected s3://bucket/prefix, got '${uri}'`;
  const bucket = m[1]!;
  const key = m[2] ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    return `'${bucket}' in '${uri}' is not a valid S3 bucket name`;
  }
  if (/\s/.test(key) || key.includes('//') || key.startsWith('/')) return `the key prefix of '${uri}' has spaces or empty path segments`;
  if (uri.length > 1024) return `'${uri.slice(0, 40)}...' is longer than 1024 characters`;
  return undefined;
}

/** Files up to this size go up in one PutObject; larger ones in parts of this size. */
export const MULTIPART_THRESHOLD = 64 * 1024 * 1024;
export const PART_SIZE = 16 * 1024 * 1024;

export interface UploadOptions {
  contentType?: string;
  multipartThreshold?: number;
  partSize?: number;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}

/** Uploads a local file to `s3://bucket/key`; returns the URI. */
export async function uploadFile(s3: S3Client, file: string, target: S3Location, opts: UploadOptions = {}): Promise<string> {
  const { size } = await stat(file);
  const threshold = opts.multipartThreshold ?? MULTIPART_THRESHOLD;
  const partSize = Math.max(opts.partSize ?? PART_SIZE, 5 * 1024 * 1024);
  const contentType = opts.contentType ?? contentTypeOf(file);
  const uri = `s3://${target.bucket}/${target.key}`;
  const fh = await open(file, 'r');
  try {
    if (size <= threshold) {
      const body = Buffer.alloc(size);
      await fh.read(body, 0, size, 0);
      await s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: body, ContentType: contentType, ContentLength: size }));
      opts.onProgress?.(size, size);
      return uri;
    }
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, ContentType: contentType }));
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error(`S3 CreateMultipartUpload for ${uri} returned no UploadId`);
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      let offset = 0;
      for (let partNumber = 1; offset < size; partNumber++) {
        const length = Math.min(partSize, size - offset);
        const body = Buffer.alloc(length);
        await fh.read(body, 0, length, offset);
        const res = await s3.send(
          new UploadPartCommand({
            Bucket: target.bucket,
            Key: target.key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
            ContentLength: length,
          }),
        );
        if (!res.ETag) throw new Error(`S3 UploadPart ${partNumber} for ${uri} returned no ETag`);
        parts.push({ ETag: res.ETag, PartNumber: partNumber });
        offset += length;
        opts.onProgress?.(offset, size);
      }
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      return uri;
    } catch (err) {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId })).catch(() => undefined);
      throw err;
    }
  } finally {
    await fh.close();
  }
}

export function contentTypeOf(file: string): string {
  switch (path.extname(file).toLowerCase()) {
    case '.csv':
      return 'text/csv';
    case '.json':
      return 'application/json';
    case '.jsonl':
    case '.jsonlines':
      return 'application/jsonlines';
    default:
      return 'application/octet-stream';
  }
}

/** Reads a response body of the SDK (stream with transformToString, Uint8Array, or string). */
export async function bodyToString(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  const withTransform = body as { transformToString?: (enc?: string) => Promise<string> };
  if (typeof withTransform.transformToString === 'function') return withTransform.transformToString('utf-8');
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  throw new Error('unsupported response body type');
}

export async function readObjectText(s3: S3Client, location: S3Location): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
  return bodyToString(res.Body);
}
