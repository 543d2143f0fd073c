import { describe, expect, it } from 'vitest';
import { decodeStreamFields, encodeStreamFields, MalformedStreamEntryError } from './stream-entry.ts';

/** What ioredis hands back from a binary read: every field and value as a Buffer. */
function asReadBack(fields: (string | Buffer)[]): Buffer[] {
  return fields.map((field) => (typeof field === 'string' ? Buffer.from(field) : Buffer.from(field)));
}

describe('stream entry codec', () => {
  it('round-trips an upsert with exact float bits', () => {
    const vector = Float32Array.from([0.1, -0.2, 1e-30, 3.4e38, -0]);
    const decoded = decodeStreamFields(
      asReadBack(
        encodeStreamFields({
          op: 'upsert',
          id: 'a/b é',
          url: 'https://x/y.mp3',
          metadata: { n: 1 },
          modelId: 'm1',
          vectors: vector,
          dim: vector.length,
          batchId: 'b1',
        }),
      ),
    );
    expect(decoded).toMatchObject({ op: 'upsert', id: 'a/b é', url: 'https://x/y.mp3', metadata: { n: 1 }, modelId: 'm1', batchId: 'b1' });
    if (decoded.op !== 'upsert') throw new Error('expected upsert');
    expect(Buffer.from(decoded.vectors.buffer)).toEqual(Buffer.from(vector.buffer));
  });

  it('round-trips a delete', () => {
    expect(decodeStreamFields(asReadBack(encodeStreamFields({ op: 'delete', id: 'x' })))).toEqual({ op: 'delete', id: 'x', batchId: undefined });
  });

  it('round-trips an activate (rollback) and refuses a bad version', () => {
    expect(decodeStreamFields(asReadBack(encodeStreamFields({ op: 'activate', version: 7 })))).toEqual({ op: 'activate', version: 7 });
    expect(() => decodeStreamFields(asReadBack(['op', 'activate', 'version', '0']))).toThrow(MalformedStreamEntryError);
  });

  it('round-trips a reindex request and the generation of a re-embedded vector', () => {
    const request = { op: 'reindex', reindexId: 'r1', mode: 'missing', model: '/models/b/card.json', modelId: 'b', dim: 8 } as const;
    expect(decodeStreamFields(asReadBack(encodeStreamFields(request)))).toEqual(request);
    expect(decodeStreamFields(asReadBack(encodeStreamFields({ op: 'reindex', reindexId: 'r2', mode: 'all' })))).toEqual({
      op: 'reindex',
      reindexId: 'r2',
      mode: 'all',
      model: undefined,
      modelId: undefined,
      dim: undefined,
    });
    const rebuilt = decodeStreamFields(
      asReadBack(encodeStreamFields({ op: 'upsert', id: 'x', modelId: 'b', vectors: new Float32Array(2), dim: 2, batchId: 'r1', generation: 3 })),
    );
    expect(rebuilt).toMatchObject({ op: 'upsert', generation: 3, batchId: 'r1' });
    expect(
      decodeStreamFields(asReadBack(encodeStreamFields({ op: 'upsert', id: 'x', modelId: 'b', vectors: new Float32Array(2), dim: 2 }))),
    ).not.toHaveProperty('generation');
    expect(() => decodeStreamFields(asReadBack(['op', 'reindex', 'reindex', 'r', 'mode', 'some']))).toThrow(MalformedStreamEntryError);
  });

  it('rejects a vector whose length disagrees with its dim', () => {
    const fields = asReadBack(encodeStreamFields({ op: 'upsert', id: 'x', modelId: 'm', vectors: new Float32Array(4), dim: 4 }));
    const dimIndex = fields.findIndex((field) => field.toString() === 'dim');
    fields[dimIndex + 1] = Buffer.from('5');
    expect(() => decodeStreamFields(fields)).toThrow(MalformedStreamEntryError);
  });

  it('round-trips a recording of several segments, rows and times in order', () => {
    const vectors = Float32Array.from({ length: 3 * 4 }, (_, index) => index / 7);
    const segments = [
      { start: 0, end: 5 },
      { start: 2.5, end: 7.5 },
      { start: 4.2, end: 9.2 },
    ];
    const decoded = decodeStreamFields(asReadBack(encodeStreamFields({ op: 'upsert', id: 'long', modelId: 'm', vectors, dim: 4, segments })));
    if (decoded.op !== 'upsert') throw new Error('expected upsert');
    expect(decoded.segments).toEqual(segments);
    expect(decoded.dim).toBe(4);
    expect(Array.from(decoded.vectors)).toEqual(Array.from(vectors));
  });

  it('refuses rows and segments that disagree, and several rows without times', () => {
    const segments = [{ start: 0, end: 5 }];
    expect(() => encodeStreamFields({ op: 'upsert', id: 'x', modelId: 'm', vectors: new Float32Array(8), dim: 4, segments })).toThrow(
      MalformedStreamEntryError,
    );
    expect(() => encodeStreamFields({ op: 'upsert', id: 'x', modelId: 'm', vectors: new Float32Array(8), dim: 4 })).toThrow(MalformedStreamEntryError);
    const fields = asReadBack(encodeStreamFields({ op: 'upsert', id: 'x', modelId: 'm', vectors: new Float32Array(4), dim: 4, segments }));
    fields[fields.findIndex((field) => field.toString() === 'segs') + 1] = Buffer.from('[[0,"a"]]');
    expect(() => decodeStreamFields(fields)).toThrow(MalformedStreamEntryError);
  });
});
