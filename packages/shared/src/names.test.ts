import { describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import { duplicateItemId, newBatchId, rowsById } from './names.ts';

describe('batch ids', () => {
  it('start with the letter of their kind and differ when made in the same millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => newBatchId('ingest'));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^b[0-9a-z]+[0-9a-f]{12}$/.test(id))).toBe(true);
    expect(newBatchId('vectors')).toMatch(/^v/);
    expect(newBatchId('reindex')).toMatch(/^r/);
  });
});

describe('duplicate item ids', () => {
  it('groups rows by id in first-seen order', () => {
    expect([...rowsById(['a', 'b', 'a', 'c', 'b', 'a'])]).toEqual([
      ['a', [0, 2, 5]],
      ['b', [1, 4]],
      ['c', [3]],
    ]);
  });

  it('names the rows and the id in a DUPLICATE_ITEM_ID error', () => {
    const error = duplicateItemId('x', [1, 3], 'give each row its own id');
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'DUPLICATE_ITEM_ID', details: { id: 'x', indexes: [1, 3] } });
    expect(error.message).toBe('items 1, 3 have the same id "x"; give each row its own id');
  });
});
