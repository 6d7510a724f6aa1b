import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyRecord, setKey, type DataRecord } from '../../framework/contract/index.js';

describe('record helpers of the plugin contract', () => {
  it('copyRecord copies every own key in order, "__proto__" as a plain key', () => {
    const input = JSON.parse('{"id": "1", "__proto__": "p", "constructor": "c", "review": "ok"}') as DataRecord;
    const copy = copyRecord(input);
    assert.deepEqual(Object.keys(copy), ['id', '__proto__', 'constructor', 'review']);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value, 'p');
    copy.id = '2';
    assert.equal(input.id, '1', 'the copy is independent of its source');
  });

  it('setKey adds an own "__proto__" key instead of replacing the prototype', () => {
    const record: DataRecord = { a: 1 };
    setKey(record, '__proto__', { polluted: true });
    setKey(record, 'b', 2);
    assert.equal(Object.getPrototypeOf(record), Object.prototype);
    assert.equal((record as { polluted?: boolean }).polluted, undefined);
    assert.deepEqual(Object.keys(record), ['a', '__proto__', 'b']);
  });
});
