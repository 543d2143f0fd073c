import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { byteCap } from './byte-cap.ts';

function sink(): Writable & { received: number } {
  const target = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      target.received += chunk.length;
      callback();
    },
  }) as Writable & { received: number };
  target.received = 0;
  return target;
}

describe('byteCap', () => {
  it('passes a body of exactly the cap through and counts it', async () => {
    const cap = byteCap(10, () => new Error('over'));
    const target = sink();
    await pipeline(Readable.from([Buffer.alloc(4), Buffer.alloc(6)]), cap, target);
    expect(cap.bytes).toBe(10);
    expect(target.received).toBe(10);
  });

  it("fails with the caller's error at the first chunk past the cap, before that chunk is written", async () => {
    const cap = byteCap(10, () => Object.assign(new Error('too big'), { code: 'CALLER_CODE' }));
    const target = sink();
    const failure = await pipeline(Readable.from([Buffer.alloc(8), Buffer.alloc(3), Buffer.alloc(100)]), cap, target).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'CALLER_CODE', message: 'too big' });
    expect(target.received).toBe(8);
  });
});
