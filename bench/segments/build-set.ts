/**
 * Builds (or finds in the cache) the long-recording set and its excerpt queries, and prints
 * what is in it. The sweep and the end-to-end run call the same code; this is for a look.
 *
 *   npx tsx bench/segments/build-set.ts
 */
import { ensureExcerptQueries, DEFAULT_QUERIES } from './excerpt-queries.ts';
import { ensureLongRecordingSet, DEFAULT_SET } from './long-recording-set.ts';
import { CACHE_DIRECTORY } from './cache-directory.ts';
import { ensureDebianPackages } from './source-audio.ts';
import { describeSet } from './set-summary.ts';

const log = (line: string) => console.error(`[bench/segments] ${line}`);
await ensureDebianPackages(log);
const set = await ensureLongRecordingSet(CACHE_DIRECTORY, DEFAULT_SET, log);
const queries = await ensureExcerptQueries(set, DEFAULT_QUERIES, log);
console.log(describeSet(set, queries));
