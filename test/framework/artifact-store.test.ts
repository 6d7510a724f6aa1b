import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  DirectoryArtifactStore,
  jsonErrorOffset,
  MAX_BINARY_BYTES,
  MemoryArtifactStore,
  parseJsonArtifact,
  safeArtifactName,
} from '../../framework/storage/artifact-store.js';

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

  it('readJson errors give a position, never the text', async () => {
    const store = new DirectoryArtifactStore(path.join(tmp, 'secretjson'));
    await store.writeFile('m.json', 'root:x:0:0:root:/root:/bin/bash\n');
    await assert.rejects(store.readJson('m.json'), (e: Error) => {
      assert.equal(e.message, 'artifact "m.json" is not valid JSON (at position 0 of 32)');
      return true;
    });
  });

  it('reads only regular files: no symbolic links (to files, devices or folders), FIFOs or folders', async () => {
    const root = path.join(tmp, 'links');
    const store = new DirectoryArtifactStore(root);
    await store.writeFile('real.bin', 'secret');
    await symlink(path.join(root, 'real.bin'), path.join(root, 'link.bin'));
    await symlink('/dev/zero', path.join(root, 'zero.bin'));
    await mkdir(path.join(tmp, 'elsewhere'), { recursive: true });
    await writeFile(path.join(tmp, 'elsewhere', 'f.json'), '{}');
    await symlink(path.join(tmp, 'elsewhere'), path.join(root, 'sub'));
    execFileSync('mkfifo', [path.join(root, 'fifo.bin')]);
    await mkdir(path.join(root, 'dir.bin'));
    for (const read of [(n: string) => store.readFile(n), (n: string) => store.readText(n), (n: string) => store.readJson(n)]) {
      await assert.rejects(read('link.bin'), /artifact "link\.bin" is a symbolic link, not a regular file/);
      await assert.rejects(read('zero.bin'), /artifact "zero\.bin" is a symbolic link, not a regular file/);
      await assert.rejects(read('sub/f.json'), /artifact "sub\/f\.json": "sub" is a symbolic link, not a directory/);
      await assert.rejects(read('fifo.bin'), /artifact "fifo\.bin" is a FIFO, not a regular file/);
      await assert.rejects(read('dir.bin'), /artifact "dir\.bin" is a directory, not a regular file/);
      await assert.rejects(read('absent.bin'), /artifact "absent\.bin" does not exist/);
    }
    assert.equal(await store.readText('real.bin'), 'secret');
  });

  it('caps the size of a read before reading: maxBytes, 1 GiB by default, a sparse file refused', async () => {
    const root = path.join(tmp, 'caps');
    const store = new DirectoryArtifactStore(root);
    await store.writeFile('ten.bin', new Uint8Array(10));
    assert.equal((await store.readFile('ten.bin', 10)).byteLength, 10);
    await assert.rejects(store.readFile('ten.bin', 9), /artifact "ten\.bin" is 10 bytes, more than the 9 allowed/);
    await assert.rejects(store.readText('ten.bin', 9), /more than the 9 allowed/);
    await assert.rejects(store.readJson('ten.bin', 9), /more than the 9 allowed/);
    await assert.rejects(store.readFile('ten.bin', -1), /maxBytes must be a non-negative integer/);
    await (await open(path.join(root, 'sparse.bin'), 'w')).close();
    await truncate(path.join(root, 'sparse.bin'), MAX_BINARY_BYTES + 1);
    await assert.rejects(store.readFile('sparse.bin'), new RegExp(`is ${MAX_BINARY_BYTES + 1} bytes, more than the ${MAX_BINARY_BYTES} allowed`));
    await assert.rejects(store.readText('sparse.bin'), /more than the 67108864 allowed/);
  });

  it('list() of a folder that does not exist is empty', async () => {
    assert.deepEqual(await new DirectoryArtifactStore(path.join(tmp, 'none')).list(), []);
  });
});

describe('JSON errors without the text', () => {
  it('jsonErrorOffset finds the first syntax error', () => {
    const cases: [string, number | undefined][] = [
      ['{"a": [1, 2, {"b": null}], "c": "x\\u00e9"}', undefined],
      ['  -1.5e+3 ', undefined],
      ['root:x:0:0', 0],
      ['[1,2,]', 5],
      ['{"a": tru}', 9],
      ['{"a":1,', 7],
      ['{"a":1} x', 8],
      ['"abc', 4],
      ['', 0],
      ['{"a" 1}', 5],
      ['[01]', 2],
      ['"\\q"', 2],
      ['['.repeat(100000), 100000],
    ];
    for (const [text, at] of cases) assert.equal(jsonErrorOffset(text), at, text.slice(0, 40));
  });

  it('parseJsonArtifact names the artifact and a position', () => {
    assert.deepEqual(parseJsonArtifact('{"a":1}', 'x.json'), { a: 1 });
    assert.throws(
      () => parseJsonArtifact('myhost\n', 'x.json'),
      (e: Error) => e.message === 'artifact "x.json" is not valid JSON (at position 0 of 7)',
    );
  });
});

describe('MemoryArtifactStore', () => {
  it('caps reads and gives JSON errors without the text', async () => {
    const store = new MemoryArtifactStore();
    await store.writeFile('m.json', 'secret-text');
    await assert.rejects(store.readFile('m.json', 4), /artifact "m\.json" is 11 bytes, more than the 4 allowed/);
    await assert.rejects(store.readJson('m.json'), (e: Error) => e.message === 'artifact "m.json" is not valid JSON (at position 0 of 11)');
  });

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
