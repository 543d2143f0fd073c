import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Generated audio, embeddings and shards: gitignored, rebuilt from the seed when missing. */
export const CACHE_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), '.cache');
