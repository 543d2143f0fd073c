/** Deterministic pseudo-random rows of `dim` in shared memory, as LoadedShard puts shards there (tests only). */
export function sharedRows(count: number, dim: number, seed: number): Float32Array {
  const rows = new Float32Array(new SharedArrayBuffer(count * dim * 4));
  let state = seed >>> 0 || 1;
  for (let index = 0; index < rows.length; index += 1) {
    state = Math.imul(state ^ (state >>> 15), 2246822507) >>> 0;
    rows[index] = state / 2 ** 32 - 0.5;
  }
  return rows;
}
