import { Transform } from 'node:stream';

/**
 * A pass-through that fails with `exceeded()` as soon as more than `maxBytes` have gone
 * through it, so a body that lies about (or omits) its length cannot fill the disk. The one
 * cap for fetched downloads (TOO_LARGE) and uploaded audio (PAYLOAD_TOO_LARGE): the caller
 * says which error its callers expect.
 */
export function byteCap(maxBytes: number, exceeded: () => Error): Transform & { readonly bytes: number } {
  let bytes = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) callback(exceeded());
      else callback(null, chunk);
    },
  });
  return Object.defineProperty(cap, 'bytes', { get: () => bytes }) as Transform & { readonly bytes: number };
}
