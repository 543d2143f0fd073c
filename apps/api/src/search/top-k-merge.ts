/** Per-query top-k lists: `k` entries per query, best first; `parts[i] === -1` marks an empty slot. */
export interface TopKLists {
  scores: Float32Array;
  parts: Int32Array;
  rows: Int32Array;
}

export function emptyTopK(queryCount: number, k: number): TopKLists {
  return {
    scores: new Float32Array(queryCount * k).fill(Number.NEGATIVE_INFINITY),
    parts: new Int32Array(queryCount * k).fill(-1),
    rows: new Int32Array(queryCount * k).fill(-1),
  };
}

/**
 * Merges several top-k lists of the same queries into one. Ties are broken by (part, row),
 * i.e. by position in the snapshot's row space, so an answer never depends on how the rows
 * were split between threads.
 */
export function mergeTopK(lists: readonly TopKLists[], queryCount: number, k: number): TopKLists {
  if (lists.length === 1) return lists[0]!;
  const merged = emptyTopK(queryCount, k);
  const candidates: [number, number, number][] = [];
  for (let query = 0; query < queryCount; query += 1) {
    candidates.length = 0;
    for (const list of lists) {
      for (let slot = query * k; slot < (query + 1) * k && list.parts[slot]! >= 0; slot += 1) {
        candidates.push([list.scores[slot]!, list.parts[slot]!, list.rows[slot]!]);
      }
    }
    candidates.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
    const kept = Math.min(k, candidates.length);
    for (let rank = 0; rank < kept; rank += 1) {
      const [score, part, row] = candidates[rank]!;
      merged.scores[query * k + rank] = score;
      merged.parts[query * k + rank] = part;
      merged.rows[query * k + rank] = row;
    }
  }
  return merged;
}
