/**
 * ArtifactStore implementations: a folder on disk (model, output data, checkpoints) and an
 * in-memory one for tests. Names are confined to the store: absolute paths, `..` segments and
 * NUL bytes are refused, so data coming from requests can never address other files.
 */
import { mkdir, readFile, readdir, stat, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactStore } from '../contract/algorithm.js';

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

  async readFile(name: string): Promise<Uint8Array> {
    return readFile(this.resolve(name));
  }

  async readText(name: string): Promise<string> {
    return readFile(this.resolve(name), 'utf8');
  }

  async readJson<T = unknown>(name: string): Promise<T> {
    const text = await this.readText(name);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new Error(`artifact "${name}" is not valid JSON: ${(error as Error).message}`);
    }
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

  async readFile(name: string): Promise<Uint8Array> {
    const data = this.files.get(safeArtifactName(name));
    if (!data) throw new Error(`artifact "${name}" does not exist`);
    return data;
  }

  async readText(name: string): Promise<string> {
    return new TextDecoder().decode(await this.readFile(name));
  }

  async readJson<T = unknown>(name: string): Promise<T> {
    return JSON.parse(await this.readText(name)) as T;
  }

  async exists(name: string): Promise<boolean> {
    return this.files.has(safeArtifactName(name));
  }

  async list(): Promise<string[]> {
    return [...this.files.keys()].sort();
  }
}
