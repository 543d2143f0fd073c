import { z } from 'zod';

/**
 * One line of `<shard>.ids.jsonl`: row i of the shard's `.faiss` file. A recording is
 * indexed as segments (docs/segments.md): its rows are contiguous, in time order, each
 * with the stretch `[start, end)` it embeds, in seconds. Rows without `start`/`end` are
 * vectors imported without times (a whole recording as one row).
 */
export const shardRowSchema = z.object({
  id: z.string(),
  url: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  start: z.number().nonnegative().optional(),
  end: z.number().nonnegative().optional(),
});
export type ShardRow = z.infer<typeof shardRowSchema>;

/**
 * Only the first row of a recording's run carries `url` and `metadata`: an hour cut into
 * 1,440 segments would otherwise repeat them 1,440 times (the ids file would outweigh the
 * vectors for rich metadata). `decodeShardRows` fills them back in.
 */
export function encodeShardRows(rows: readonly ShardRow[]): string {
  let text = '';
  let previousId: string | undefined;
  for (const row of rows) {
    const continuesRun = row.id === previousId && row.start !== undefined;
    text += JSON.stringify(continuesRun ? { id: row.id, start: row.start, end: row.end } : row) + '\n';
    previousId = row.id;
  }
  return text;
}

export function decodeShardRows(text: string): ShardRow[] {
  const rows: ShardRow[] = [];
  let runHead: ShardRow | undefined;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const row = shardRowSchema.parse(JSON.parse(line));
    if (runHead && row.id === runHead.id && row.url === undefined && row.metadata === undefined) {
      rows.push({ ...row, url: runHead.url, metadata: runHead.metadata });
      continue;
    }
    runHead = row;
    rows.push(row);
  }
  return rows;
}
