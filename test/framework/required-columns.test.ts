/** The one message a model gives for the columns a request lacks, with its hints. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestError, requireColumns } from '../../framework/index.js';

const message = (required: string[], present: string[]): string => {
  try {
    requireColumns(required, present);
  } catch (error) {
    assert.ok(error instanceof RequestError);
    assert.equal(error.status, 400);
    return error.message;
  }
  return 'nothing thrown';
};

describe('requireColumns', () => {
  it('nothing when every column is there, in any order, with others besides', () => {
    assert.equal(message(['a', 'b'], ['b', 'x', 'a']), 'nothing thrown');
  });

  it('names every missing column, and a column that differs only by case', () => {
    assert.equal(
      message(['title', 'size', 'colour'], ['Title', 'colour']),
      'the input lacks 2 columns the model needs: "title" (the input has "Title": column names are case-sensitive), "size" (required: title, size, colour)',
    );
    assert.match(message(['a'], ['b']), /^the input lacks a column the model needs: "a"/);
  });

  it('a header read as one column holding ";", tabs or "|" gets a delimiter hint', () => {
    assert.match(message(['a', 'b'], ['a;b']), /header is the one column "a;b": is the file separated by ";"\?/);
    assert.match(message(['a', 'b'], ['a\tb']), /separated by tabs\?/);
    assert.match(message(['a', 'b'], ['a|b']), /separated by "\|"\?/);
    assert.doesNotMatch(message(['a', 'b'], ['a', 'x;y']), /separated/);
  });
});
