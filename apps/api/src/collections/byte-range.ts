/** Inclusive byte positions, as HTTP counts them (`Content-Range: bytes first-last/size`). */
export interface ByteRange {
  first: number;
  last: number;
}

/**
 * Reads a `Range` header against a body of `size` bytes (RFC 9110 §14): `undefined` when the
 * whole body should go (no header, another unit, a malformed or multi-range request: a server
 * may ignore those), `'unsatisfiable'` for a range wholly past the end (416), else the one
 * range clamped to the body. Players ask for one range at a time; multipart/byteranges buys
 * them nothing.
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return undefined;
  if (from === '') {
    // A suffix: the last `to` bytes.
    const length = Number(to);
    if (length === 0 || size === 0) return 'unsatisfiable';
    return { first: Math.max(0, size - length), last: size - 1 };
  }
  const first = Number(from);
  if (to !== '' && Number(to) < first) return undefined; // invalid syntax: ignored, whole body
  if (first >= size) return 'unsatisfiable';
  return { first, last: to === '' ? size - 1 : Math.min(Number(to), size - 1) };
}
