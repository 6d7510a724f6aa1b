import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DirectoryArtifactStore, MemoryArtifactStore, safeArtifactName } from '../../framework/storage/artifact-store.js';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'byoc-store-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const UNSAFE = ['../x', '..', 'a/../../x', '/etc/passwd', '/abs', 'a\0b', '..\\x', 'a\\..\\..\\x', '.', ''];

describe('safeArtifactName', () => {
  for (const name of UNSAFE) {
    it(`refuses ${JSON.stringify(name)}`, () => {
      assert.throws(() => safeArtifactName(name), /artifact name/);
    });
  }
  it('normalises safe names', () => {
    assert.equal(safeArtifactName('weights.bin'), 'weights.bin');
    assert.equal(safeArtifactName('a/./b.json'), 'a/b.json');
    assert.equal(safeArtifactName('a/x/../b'), 'a/b');
    assert.equal(safeArtifactName('a\\b'), 'a/b');
  });
});

describe('DirectoryArtifactStore', () => {
  it('writes, reads, lists recursively, and leaves no temp files', async () => {
    const root = path.join(tmp, 'dir');
    const store = new DirectoryArtifactStore(root);
    await store.writeFile('a.bin', new Uint8Array([1, 2, 3]));
    await store.writeJson('sub/deep/b.json', { x: 1 });
    await store.writeFile('c.txt', 'héllo');
    assert.deepEqual([...(await store.readFile('a.bin'))], [1, 2, 3]);
    assert.deepEqual(await store.readJson('sub/deep/b.json'), { x: 1 });
    assert.equal(await store.readText('c.txt'), 'héllo');
    assert.equal(await store.exists('sub/deep/b.json'), true);
    assert.equal(await store.exists('nope'), false);
    assert.deepEqual(await store.list(), ['a.bin', 'c.txt', 'sub/deep/b.json']);
    assert.ok((await readdir(root)).every((f) => !f.includes('.tmp-')));
  });

  it('overwrites atomically', async () => {
    const store = new DirectoryArtifactStore(path.join(tmp, 'over'));
    await store.writeFile('f', 'one');
    await store.writeFile('f', 'two');
    assert.equal(await store.readText('f'), 'two');
  });

  it('refuses names escaping the folder on every operation', async () => {
    const store = new DirectoryArtifactStore(path.join(tmp, 'guard'));
    for (const name of ['../x', '/etc/passwd', 'a\0b']) {
      await assert.rejects(store.writeFile(name, 'x'), /artifact name/);
      await assert.rejects(store.readFile(name), /artifact name/);
      await assert.rejects(store.readText(name), /artifact name/);
      await assert.rejects(store.writeJson(name, {}), /artifact name/);
    }
    assert.equal(await store.exists('../guard'), false);
  });

  it('readJson names the artifact when the JSON is bad', async () => {
    const store = new DirectoryArtifactStore(path.join(tmp, 'badjson'));
    await store.writeFile('m.json', '{');
    await assert.rejects(store.readJson('m.json'), /artifact "m\.json" is not valid JSON/);
  });

  it('list() of a folder that does not exist is empty', async () => {
    assert.deepEqual(await new DirectoryArtifactStore(path.join(tmp, 'none')).list(), []);
  });
});

describe('MemoryArtifactStore', () => {
  it('stores, lists and refuses unsafe names', async () => {
    const store = new MemoryArtifactStore();
    await store.writeJson('m.json', { a: 1 });
    await store.writeFile('x/y.txt', 'hi');
    assert.deepEqual(await store.readJson('m.json'), { a: 1 });
    assert.equal(await store.readText('x/y.txt'), 'hi');
    assert.deepEqual(await store.list(), ['m.json', 'x/y.txt']);
    await assert.rejects(store.readFile('absent'), /does not exist/);
    await assert.rejects(store.writeFile('../x', 'x'), /artifact name/);
    await assert.rejects(store.exists('/abs'), /artifact name/);
  });
});
