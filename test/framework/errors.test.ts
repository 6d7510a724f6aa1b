import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestError, TrainingAbortedError, TrainingError } from '../../framework/contract/errors.js';

// A second instance of the same module, as a plugin package with its own copy of the framework
// (another installed version, or the bundled CLI next to the package's compiled tree) would have.
const copy = (await import(
  new URL('../../framework/contract/errors.js?second-copy', import.meta.url).href
)) as typeof import('../../framework/contract/errors.js');

describe('contract errors are recognised across copies of the framework', () => {
  it('the copy is a different class, yet instanceof holds both ways', () => {
    assert.notEqual(copy.RequestError, RequestError);
    const foreign = new copy.RequestError('bad row', 415);
    assert.ok(foreign instanceof RequestError);
    assert.equal(foreign.status, 415);
    assert.ok(new RequestError('x') instanceof copy.RequestError);
    assert.ok(new copy.TrainingError('x') instanceof TrainingError);
    assert.ok(new copy.TrainingAbortedError() instanceof TrainingAbortedError);
  });

  it('the classes stay distinct from each other and from plain errors', () => {
    assert.ok(!(new TrainingError('x') instanceof RequestError));
    assert.ok(!(new RequestError('x') instanceof TrainingError));
    assert.ok(!(new Error('x') instanceof RequestError));
    assert.ok(!(Object.assign(new Error('x'), { name: 'RequestError', status: 400 }) instanceof RequestError));
    const notObjects: unknown[] = [null, undefined, 'RequestError', 400];
    for (const value of notObjects) assert.ok(!((value as object) instanceof RequestError));
  });

  it('subclasses keep the ordinary prototype check, and the brand is not serialised', () => {
    class MissingColumn extends RequestError {}
    assert.ok(new MissingColumn('no column') instanceof RequestError);
    assert.ok(new MissingColumn('no column') instanceof MissingColumn);
    assert.ok(!(new RequestError('x') instanceof MissingColumn));
    assert.deepEqual(Object.keys(new RequestError('x', 400)).sort(), ['name', 'status']);
  });
});
