import { z } from 'zod';

/** One line of `<shard>.ids.jsonl`: row i of the shard's `.faiss` file. */
export const shardRowSchema = z.object({
  id: z.string(),
  url: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type ShardRow = z.infer<typeof shardRowSchema>;

export function encodeShardRows(rows: readonly ShardRow[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + (rows.length ? '\n' : '');
}

export function decodeShardRows(text: string): ShardRow[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => shardRowSchema.parse(JSON.parse(line)));
}
