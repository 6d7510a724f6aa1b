import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { TurnBatchedWriter } from '../../framework/runtime/log-destination.js';

/** A stream that records each write it receives. */
function recorder(): { out: Writable; writes: string[] } {
  const writes: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { out, writes };
}

test('log lines of one event-loop turn reach the stream together, in order, at the end of the turn', async () => {
  const { out, writes } = recorder();
  const writer = new TurnBatchedWriter(out);
  writer.write('a\n');
  writer.write('b\n');
  assert.deepEqual(writes, [], 'nothing written during the turn');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(writes, ['a\nb\n']);
  writer.write('c\n');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(writes, ['a\nb\n', 'c\n']);
});

test('flush writes pending lines at once (exit paths), and a large batch does not wait for the turn to end', () => {
  const { out, writes } = recorder();
  const writer = new TurnBatchedWriter(out);
  writer.write('x\n');
  writer.flush();
  writer.flush(); // nothing pending: no empty write
  assert.deepEqual(writes, ['x\n']);
  const big = 'y'.repeat(70_000) + '\n';
  writer.write(big);
  assert.deepEqual(writes, ['x\n', big]);
});

test('a batch larger than a pipe keeps whole is written in pieces cut at line ends (workers share stdout)', () => {
  const { out, writes } = recorder();
  const writer = new TurnBatchedWriter(out);
  const lines = Array.from({ length: 200 }, (_, i) => `{"n":${i},"msg":"request é ${'x'.repeat(i % 50)}"}\n`);
  const long = `{"msg":"${'y'.repeat(9000)}"}\n`;
  for (const line of [...lines.slice(0, 100), long, ...lines.slice(100)]) writer.write(line);
  writer.flush();
  assert.ok(writes.length > 3, `${writes.length} writes`);
  assert.equal(writes.join(''), [...lines.slice(0, 100), long, ...lines.slice(100)].join(''), 'every line, in order');
  for (const w of writes) {
    assert.ok(w.endsWith('\n'), 'each write ends at a line end');
    assert.ok(Buffer.byteLength(w) <= 4096 || w === long, `a write of ${Buffer.byteLength(w)} bytes`);
  }
});

test('a stream error (reader gone) does not surface as an uncaught exception', async () => {
  const out = new Writable({
    write(_chunk, _encoding, done) {
      done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  const writer = new TurnBatchedWriter(out);
  writer.write('lost\n');
  writer.flush();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(out.destroyed, true);
  // Writing to the broken stream stays harmless (an uncaught 'error' would fail this test too).
  assert.doesNotThrow(() => {
    writer.write('after\n');
    writer.flush();
  });
  await new Promise((resolve) => setImmediate(resolve));
});
