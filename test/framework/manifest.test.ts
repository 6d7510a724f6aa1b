import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir, symlink, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MANIFEST_FILE, MAX_MANIFEST_BYTES, ManifestError, createManifest, readManifest, writeManifest } from '../../framework/model/manifest.js';
import { DirectoryArtifactStore, MemoryArtifactStore } from '../../framework/storage/artifact-store.js';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'byoc-manifest-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const sample = () =>
  createManifest({
    algorithm: { name: 'baseline', version: '1.0.0' },
    framework: { name: 'sagemaker-byoc', version: '0.1.0' },
    inputSchema: {
      columns: [
        { name: 'review', type: 'text' },
        { name: 'y', type: 'categorical' },
      ],
      requiredColumns: ['review'],
    },
    hyperparameters: { label_column: 'y' },
    metrics: { rows: 50 },
    now: new Date('2026-01-02T03:04:05.000Z'),
  });

function manifestError(pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof ManifestError, `expected ManifestError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  };
}

describe('model manifest', () => {
  it('createManifest fills format and createdAt', () => {
    const m = sample();
    assert.equal(m.format, 1);
    assert.equal(m.createdAt, '2026-01-02T03:04:05.000Z');
    assert.deepEqual(m.metrics, { rows: 50 });
    assert.equal('metrics' in createManifest({ ...sample(), now: undefined, metrics: undefined }), false);
  });

  it('round-trips through a directory store as manifest.json', async () => {
    const dir = path.join(tmp, 'model');
    const store = new DirectoryArtifactStore(dir);
    await writeManifest(store, sample());
    const onDisk = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8'));
    assert.equal(onDisk.algorithm.name, 'baseline');
    assert.deepEqual(await readManifest(store, dir), sample());
  });

  it('round-trips through a memory store', async () => {
    const store = new MemoryArtifactStore();
    await writeManifest(store, sample());
    assert.deepEqual(await readManifest(store, 'mem'), sample());
  });

  it('missing manifest: "no model found" naming the dir', async () => {
    const dir = path.join(tmp, 'empty');
    await mkdir(dir);
    await assert.rejects(readManifest(new DirectoryArtifactStore(dir), dir), manifestError(/no model found: .*empty has no manifest\.json/));
    await assert.rejects(readManifest(new DirectoryArtifactStore(path.join(tmp, 'absent')), 'x'), manifestError(/no model found/));
  });

  it('corrupt JSON: "is corrupt" naming the file', async () => {
    const dir = path.join(tmp, 'corrupt');
    await mkdir(dir);
    await writeFile(path.join(dir, MANIFEST_FILE), '{"format": 1,');
    await assert.rejects(readManifest(new DirectoryArtifactStore(dir), dir), manifestError(/corrupt\/manifest\.json is corrupt/));
  });

  it('text that is not JSON: a position, never the text; links and oversized manifests refused', async () => {
    const dir = path.join(tmp, 'passwd');
    await mkdir(dir);
    await writeFile(path.join(dir, MANIFEST_FILE), 'root:x:0:0:root:/root:/bin/bash\n');
    await assert.rejects(readManifest(new DirectoryArtifactStore(dir), dir), (e: Error) => {
      assert.equal(e.message, `model manifest ${dir}/manifest.json is corrupt: artifact "manifest.json" is not valid JSON (at position 0 of 32)`);
      return true;
    });
    const linked = path.join(tmp, 'linked');
    await mkdir(linked);
    await symlink(path.join(dir, MANIFEST_FILE), path.join(linked, MANIFEST_FILE));
    await assert.rejects(readManifest(new DirectoryArtifactStore(linked), linked), manifestError(/is corrupt: artifact "manifest\.json" is a symbolic link/));
    const big = path.join(tmp, 'big');
    await mkdir(big);
    await writeFile(path.join(big, MANIFEST_FILE), '');
    await truncate(path.join(big, MANIFEST_FILE), MAX_MANIFEST_BYTES + 1);
    await assert.rejects(readManifest(new DirectoryArtifactStore(big), big), manifestError(/more than the 4194304 allowed/));
  });

  it('valid JSON with the wrong shape: "is invalid" naming the fields', async () => {
    const store = new MemoryArtifactStore();
    const bad = { ...sample(), format: 2, algorithm: { name: '', version: '1' } };
    await store.writeJson(MANIFEST_FILE, bad);
    await assert.rejects(readManifest(store, 'm'), manifestError(/is invalid: .*format.*algorithm\.name/));
    await store.writeJson(MANIFEST_FILE, { ...sample(), inputSchema: { columns: [{ name: 'a', type: 'weird' }], requiredColumns: [] } });
    await assert.rejects(readManifest(store, 'm'), manifestError(/inputSchema\.columns\.0\.type/));
    await store.writeJson(MANIFEST_FILE, []);
    await assert.rejects(readManifest(store, 'm'), manifestError(/is invalid/));
  });
});
