/**
 * ArtifactStore implementations: a folder on disk (model, output data, checkpoints) and an
 * in-memory one for tests. Names are confined to the store: absolute paths, `..` segments and
 * NUL bytes are refused, so data coming from requests can never address other files.
 *
 * A model directory comes from an S3 object, so what is read is untrusted: only regular files are
 * read (no symbolic links, at any level below the root, no FIFOs, devices or sockets: a FIFO must
 * not hang a load), each read has a size cap checked before reading and again while reading, and
 * JSON errors give a position, never the text (JSON.parse's messages quote the file).
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, stat, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactStore } from '../contract/algorithm.js';

/** Default cap of `readFile`. */
export const MAX_BINARY_BYTES = 1024 * 1024 * 1024;
/** Default cap of `readText` and `readJson`. */
export const MAX_TEXT_BYTES = 64 * 1024 * 1024;

function checkCap(maxBytes: number | undefined, fallback: number): number {
  const cap = maxBytes ?? fallback;
  if (!Number.isSafeInteger(cap) || cap < 0) throw new Error(`maxBytes must be a non-negative integer, got ${String(maxBytes)}`);
  return cap;
}

function kindOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (s.isSymbolicLink()) return 'a symbolic link';
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  return s.isFile() ? 'a regular file' : 'a device';
}

/**
 * Parses JSON text; on a syntax error the message names `name` and the position of the error only
 * (Node's own message quotes the start of the text, which may be a secret file's content).
 */
export function parseJsonArtifact<T = unknown>(text: string, name: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    const at = jsonErrorOffset(text);
    throw new Error(`artifact "${name}" is not valid JSON${at === undefined ? '' : ` (at position ${at} of ${text.length})`}`);
  }
}

/** The offset of the first JSON syntax error in `s` (its length if it ends early); undefined if none found. */
export function jsonErrorOffset(s: string): number | undefined {
  try {
    return new JsonScanner(s).run();
  } catch (error) {
    if (error instanceof JsonScanError) return Math.min(error.at, s.length);
    return undefined;
  }
}

class JsonScanError extends Error {
  constructor(readonly at: number) {
    super('json syntax');
  }
}

/** A JSON syntax checker that only locates the first error (JSON.parse's messages quote the text). */
class JsonScanner {
  private i = 0;
  constructor(private readonly s: string) {}

  /** Walks the text with an explicit stack of open containers: deep nesting cannot overflow the call stack. */
  run(): number | undefined {
    const s = this.s;
    const stack: string[] = [];
    let needValue = true;
    for (;;) {
      this.ws();
      if (needValue) {
        const c = s[this.i];
        if (c !== '{' && c !== '[') {
          this.scalar();
          needValue = false;
          continue;
        }
        stack.push(c === '{' ? '}' : ']');
        this.i++;
        this.ws();
        if (s[this.i] === stack.at(-1)) {
          this.i++;
          stack.pop();
          needValue = false;
        } else if (c === '{') this.key();
        continue;
      }
      const close = stack.at(-1);
      if (close === undefined) break;
      if (s[this.i] === ',') {
        this.i++;
        if (close === '}') this.key();
        needValue = true;
      } else if (s[this.i] === close) {
        this.i++;
        stack.pop();
      } else this.fail();
    }
    return this.i < s.length ? this.i : undefined;
  }

  private fail(): never {
    throw new JsonScanError(this.i);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length && (s[this.i] === ' ' || s[this.i] === '\t' || s[this.i] === '\n' || s[this.i] === '\r')) this.i++;
  }

  private digits(): void {
    const from = this.i;
    while (this.i < this.s.length && this.s[this.i]! >= '0' && this.s[this.i]! <= '9') this.i++;
    if (this.i === from) this.fail();
  }

  private key(): void {
    this.ws();
    if (this.s[this.i] !== '"') this.fail();
    this.str();
    this.ws();
    if (this.s[this.i] !== ':') this.fail();
    this.i++;
  }

  private str(): void {
    const s = this.s;
    this.i++; // the opening quote
    for (;;) {
      if (this.i >= s.length) this.fail();
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        this.i++;
        return;
      }
      if (c < 0x20) this.fail();
      if (c === 0x5c) this.escape();
      else this.i++;
    }
  }

  private escape(): void {
    const e = this.s[this.i + 1];
    if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.s.slice(this.i + 2, this.i + 6))) {
      this.i += 6;
      return;
    }
    if (e !== undefined && e !== 'u' && '"\\/bfnrt'.includes(e)) {
      this.i += 2;
      return;
    }
    this.i++;
    this.fail();
  }

  private scalar(): void {
    const s = this.s;
    const c = s[this.i];
    if (c === '"') return this.str();
    for (const word of ['true', 'false', 'null']) {
      if (c !== word[0]) continue;
      for (const ch of word) {
        if (s[this.i] !== ch) this.fail();
        this.i++;
      }
      return;
    }
    if (c !== '-' && !(c !== undefined && c >= '0' && c <= '9')) this.fail();
    if (s[this.i] === '-') this.i++;
    if (s[this.i] === '0') this.i++;
    else this.digits();
    if (s[this.i] === '.') {
      this.i++;
      this.digits();
    }
    if (s[this.i] === 'e' || s[this.i] === 'E') {
      this.i++;
      if (s[this.i] === '+' || s[this.i] === '-') this.i++;
      this.digits();
    }
  }
}

/** Validates an artifact name and returns its normalised relative form. */
export function safeArtifactName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new Error('artifact name must be a non-empty string');
  if (name.includes('\0')) throw new Error('artifact name must not contain NUL bytes');
  const normalised = path.posix.normalize(name.replace(/\\/g, '/'));
  if (path.posix.isAbsolute(normalised) || normalised === '..' || normalised.startsWith('../') || normalised === '.') {
    throw new Error(`artifact name "${name}" must be a relative path inside the store`);
  }
  return normalised;
}

export class DirectoryArtifactStore implements ArtifactStore {
  constructor(readonly root: string) {}

  private resolve(name: string): string {
    return path.join(this.root, safeArtifactName(name));
  }

  async writeFile(name: string, data: Uint8Array | string): Promise<void> {
    const target = this.resolve(name);
    await mkdir(path.dirname(target), { recursive: true });
    // Write then rename so that a reader (or a crash) never sees half a file.
    const tmp = `${target}.tmp-${process.pid}`;
    await writeFile(tmp, data);
    await rename(tmp, target);
  }

  async writeJson(name: string, value: unknown): Promise<void> {
    await this.writeFile(name, `${JSON.stringify(value, null, 2)}\n`);
  }

  /**
   * Reads a regular file of at most `cap` bytes. Every folder below the root and the file itself are
   * checked with lstat (no symbolic links); the file is opened with O_NOFOLLOW and O_NONBLOCK (a
   * FIFO swapped in meanwhile does not block the open) and checked again on the handle, so what is
   * read is the file that was checked. Reading stops when more bytes arrive than were stat'ed.
   */
  private async readRegular(name: string, cap: number): Promise<Buffer> {
    const rel = safeArtifactName(name);
    const parts = rel.split('/');
    for (let k = 1; k < parts.length; k++) {
      const folder = parts.slice(0, k).join('/');
      const s = await lstat(path.join(this.root, folder)).catch((error: NodeJS.ErrnoException) => this.missing(name, error));
      if (!s.isDirectory()) throw new Error(`artifact "${name}": "${folder}" is ${kindOf(s)}, not a directory`);
    }
    const file = path.join(this.root, rel);
    const before = await lstat(file).catch((error: NodeJS.ErrnoException) => this.missing(name, error));
    if (!before.isFile()) throw new Error(`artifact "${name}" is ${kindOf(before)}, not a regular file`);
    if (before.size > cap) throw new Error(`artifact "${name}" is ${before.size} bytes, more than the ${cap} allowed`);
    let handle;
    try {
      handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new Error(`artifact "${name}" is a symbolic link, not a regular file`);
      return this.missing(name, error as NodeJS.ErrnoException);
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new Error(`artifact "${name}" is ${kindOf(st)}, not a regular file`);
      if (st.dev !== before.dev || st.ino !== before.ino) throw new Error(`artifact "${name}" was replaced while being opened`);
      if (st.size > cap) throw new Error(`artifact "${name}" is ${st.size} bytes, more than the ${cap} allowed`);
      // One byte more than stat'ed, to notice a file that grows while it is read.
      const buffer = Buffer.allocUnsafe(st.size + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length > st.size) throw new Error(`artifact "${name}" grew while being read (more than the ${st.size} bytes stat'ed)`);
      }
      return buffer.subarray(0, length);
    } finally {
      await handle.close();
    }
  }

  private missing(name: string, error: NodeJS.ErrnoException): never {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') throw new Error(`artifact "${name}" does not exist`);
    throw new Error(`artifact "${name}" cannot be read (${error.code ?? 'error'})`);
  }

  async readFile(name: string, maxBytes?: number): Promise<Uint8Array> {
    return this.readRegular(name, checkCap(maxBytes, MAX_BINARY_BYTES));
  }

  async readText(name: string, maxBytes?: number): Promise<string> {
    return (await this.readRegular(name, checkCap(maxBytes, MAX_TEXT_BYTES))).toString('utf8');
  }

  async readJson<T = unknown>(name: string, maxBytes?: number): Promise<T> {
    return parseJsonArtifact<T>(await this.readText(name, maxBytes), name);
  }

  async exists(name: string): Promise<boolean> {
    try {
      await stat(this.resolve(name));
      return true;
    } catch {
      return false;
    }
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) await walk(path.join(dir, entry.name), rel);
        else if (entry.isFile()) out.push(rel);
      }
    };
    await walk(this.root, '');
    return out.sort();
  }
}

/** Keeps artifacts in memory; for plugin unit tests. */
export class MemoryArtifactStore implements ArtifactStore {
  readonly files = new Map<string, Uint8Array>();

  async writeFile(name: string, data: Uint8Array | string): Promise<void> {
    this.files.set(safeArtifactName(name), typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data));
  }

  async writeJson(name: string, value: unknown): Promise<void> {
    await this.writeFile(name, JSON.stringify(value));
  }

  async readFile(name: string, maxBytes?: number): Promise<Uint8Array> {
    const cap = checkCap(maxBytes, MAX_BINARY_BYTES);
    const data = this.files.get(safeArtifactName(name));
    if (!data) throw new Error(`artifact "${name}" does not exist`);
    if (data.byteLength > cap) throw new Error(`artifact "${name}" is ${data.byteLength} bytes, more than the ${cap} allowed`);
    return data;
  }

  async readText(name: string, maxBytes?: number): Promise<string> {
    return new TextDecoder().decode(await this.readFile(name, checkCap(maxBytes, MAX_TEXT_BYTES)));
  }

  async readJson<T = unknown>(name: string, maxBytes?: number): Promise<T> {
    return parseJsonArtifact<T>(await this.readText(name, maxBytes), name);
  }

  async exists(name: string): Promise<boolean> {
    return this.files.has(safeArtifactName(name));
  }

  async list(): Promise<string[]> {
    return [...this.files.keys()].sort();
  }
}
