import fs from 'node:fs/promises';

export interface ImportedRow {
  id: string;
  url?: string;
  metadata?: Record<string, unknown>;
  /** Seconds: the row embeds `[start, end)` of recording `id`; rows sharing an id are its segments (docs/segments.md). */
  start?: number;
  end?: number;
}

/**
 * Ids for imported vectors: a `.txt` with one id per line, or `.jsonl` of
 * `{id, url?, metadata?, start?, end?}` (several lines with one id and times: one recording's segments).
 */
export async function readIdList(file: string): Promise<ImportedRow[]> {
  const lines = (await fs.readFile(file, 'utf8')).split('\n').filter((line) => line.trim().length > 0);
  if (file.endsWith('.jsonl')) {
    return lines.map((line, index) => {
      const row = JSON.parse(line) as ImportedRow;
      if (typeof row.id !== 'string') throw new Error(`${file}:${index + 1}: missing "id"`);
      return row;
    });
  }
  return lines.map((line) => ({ id: line.trim() }));
}
