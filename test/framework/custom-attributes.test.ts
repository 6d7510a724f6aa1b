import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestError } from '../../framework/contract/errors.js';
import { parseCustomAttributes } from '../../framework/invocation/attributes.js';

describe('parseCustomAttributes', () => {
  it('parses k=v pairs separated by , or ; with bare keys as true', () => {
    assert.deepEqual(
      { ...parseCustomAttributes('impute_present=true, precision_threshold=0.9;verbose') },
      {
        impute_present: 'true',
        precision_threshold: '0.9',
        verbose: 'true',
      },
    );
  });

  it('empty or absent header → no attributes', () => {
    assert.deepEqual({ ...parseCustomAttributes(undefined) }, {});
    assert.deepEqual({ ...parseCustomAttributes('') }, {});
    assert.deepEqual({ ...parseCustomAttributes(' , ;; ') }, {});
  });

  it('keeps = inside values, trims spaces around keys and values, last one wins', () => {
    assert.deepEqual({ ...parseCustomAttributes(' expr = a=b ,k=1,k=2') }, { expr: 'a=b', k: '2' });
  });

  it('a pair without a key is a 400', () => {
    assert.throws(
      () => parseCustomAttributes('=x'),
      (e: unknown) => e instanceof RequestError && e.status === 400 && /no key/.test(e.message),
    );
  });

  it('an over-long header is a 400', () => {
    assert.throws(
      () => parseCustomAttributes(`a=${'x'.repeat(5000)}`),
      (e: unknown) => e instanceof RequestError && e.status === 400,
    );
  });

  it('does not pollute prototypes', () => {
    const attrs = parseCustomAttributes('__proto__=x,constructor=y');
    assert.equal(attrs['__proto__'], 'x');
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
    assert.equal(Object.getPrototypeOf(attrs), null);
  });
});
