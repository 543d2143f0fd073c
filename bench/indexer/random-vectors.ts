/** Pseudo-random rows, fast enough to make a million 768-d vectors in seconds (xorshift32). */
export function randomRows(count: number, dim: number, seed: number): Float32Array {
  const rows = new Float32Array(count * dim);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < rows.length; index += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    rows[index] = (state >>> 0) / 2 ** 32 - 0.5;
  }
  return rows;
}
