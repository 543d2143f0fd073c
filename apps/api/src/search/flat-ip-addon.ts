import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The search addon built by scripts/build-faiss-search-addon.sh (apps/api/native). */
export interface FlatIPAddon {
  /**
   * Exact top-`k` inner products of each query (row-major, `dim` floats each) against rows
   * [rowStart, rowEnd) of `vectors`, skipping rows whose bit is set in `excluded`. Best
   * first per query; `rows` are row numbers in `vectors`, -1 where fewer rows qualify.
   */
  search(
    vectors: Float32Array,
    dim: number,
    rowStart: number,
    rowEnd: number,
    queries: Float32Array,
    k: number,
    excluded: Uint8Array | null,
  ): { scores: Float32Array; rows: Int32Array };
  /** Faiss's sgemm block sizes (process-wide). */
  configure(blasDatabaseBlock: number, blasQueryBlock: number, blasThreshold?: number): void;
  /** `avx2` or `generic`: which Faiss build the addon links. */
  variant(): string;
}

const addonPath = fileURLToPath(new URL('../../native/build/flat-ip-search.node', import.meta.url));

export function loadFlatIPAddon(): FlatIPAddon {
  if (!existsSync(addonPath)) {
    throw new Error(`search addon missing at ${addonPath}: run \`bash scripts/setup.sh\` (or scripts/build-faiss-search-addon.sh)`);
  }
  return createRequire(import.meta.url)(addonPath) as FlatIPAddon;
}
