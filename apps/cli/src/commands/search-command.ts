import fs from 'node:fs/promises';
import type { ApiClient } from '../api-client.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';

export interface SearchOptions {
  collection?: string;
  k: number;
  json: boolean;
}

interface SearchAnswer {
  collection: string;
  snapshot: { version: number; count: number };
  results: { id: string; url?: string; score: number; metadata?: Record<string, unknown> }[];
}

/** A URL is embedded by the API from where it lives; a local file is uploaded as the query. */
export async function searchCommand(api: ApiClient, query: string, options: SearchOptions): Promise<ExitCodeValue> {
  let answer: SearchAnswer;
  if (/^(https?|s3|file):\/\//i.test(query)) {
    answer = await api.json<SearchAnswer>('POST', '/v1/search', { collection: options.collection, k: options.k, query: { url: query } });
  } else {
    const audio = await fs.readFile(query);
    const parameters = new URLSearchParams({ k: String(options.k) });
    if (options.collection) parameters.set('collection', options.collection);
    answer = await api.send<SearchAnswer>('POST', `/v1/search/audio?${parameters}`, audio, 'application/octet-stream');
  }
  if (options.json) {
    console.log(JSON.stringify(answer));
    return ExitCode.OK;
  }
  console.log(`collection ${answer.collection}, snapshot v${answer.snapshot.version} (${answer.snapshot.count} items)`);
  console.log(formatTable(['rank', 'score', 'id', 'url'], answer.results.map((result, rank) => [String(rank + 1), result.score.toFixed(4), result.id, result.url ?? ''])));
  return ExitCode.OK;
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
