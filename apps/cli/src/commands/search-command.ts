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
  snapshot: { version: number; count: number; recordings?: number };
  results: {
    id: string;
    url?: string;
    score: number;
    metadata?: Record<string, unknown>;
    /** Where in the recording it matched (recording results). */
    match?: { start: number; end: number | null };
  }[];
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
  const { snapshot } = answer;
  const size = snapshot.recordings === undefined ? `${snapshot.count} items` : `${snapshot.recordings} recordings, ${snapshot.count} segments`;
  console.log(`collection ${answer.collection}, snapshot v${snapshot.version} (${size})`);
  console.log(
    formatTable(
      ['rank', 'score', 'id', 'match', 'url'],
      answer.results.map((result, rank) => [
        String(rank + 1),
        result.score.toFixed(4),
        result.id,
        result.match ? formatSpan(result.match) : '',
        result.url ?? '',
      ]),
    ),
  );
  return ExitCode.OK;
}

/** mm:ss, or h:mm:ss from an hour on (whole seconds: a match is placed to a hop, never finer). */
export function formatClock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${String(minutes).padStart(2, '0')}:${rest}`;
}

/** `mm:ss–mm:ss`; a row stored without times matched as a whole: `00:00–end`. */
export function formatSpan(span: { start: number; end: number | null }): string {
  return `${formatClock(span.start)}–${span.end === null ? 'end' : formatClock(span.end)}`;
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
