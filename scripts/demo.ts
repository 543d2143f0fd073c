/**
 * `npm run demo`: starts the whole system on the embedded default, ingests generated sample
 * audio over HTTP, waits for it to be indexed, then searches with a few clips (and a quieter
 * copy of one) and an excerpt of a long recording, and prints the ranked results with where
 * in each recording it matched.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadApiConfig, startApi } from '@audio-index/api';
import { loadModelCard } from '@audio-index/embedding';
import { loadIndexerConfig, startIndexer } from '@audio-index/indexer';
import { loadWorkerConfig, startWorker } from '@audio-index/worker';
import { ensureRedis } from './embedded-redis.ts';
import { writeExcerpt, writeGainCopy, writeJoinedRecording, writeSampleClips } from './sample-audio.ts';

const sampleDirectory = path.resolve('data/samples');
const env = { ...process.env, FILE_ROOT: sampleDirectory, PORT: process.env.PORT ?? '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
const apiConfig = loadApiConfig(env);
const collection = 'demo';

console.log('generating sample audio in', sampleDirectory);
const clips = await writeSampleClips(sampleDirectory);
const quieterCopy = path.join(sampleDirectory, 'query-speech-weather-minus6db.wav');
await writeGainCopy(clips.find((clip) => clip.name === 'speech-weather')?.file ?? clips[0]!.file, quieterCopy, -6);
// A 48 s "broadcast" of eight pieces, and 6 s of it from 27.5 s: the search says where it came from.
const longRecording = path.join(sampleDirectory, 'long-broadcast.wav');
const pieces = await writeJoinedRecording(clips.filter((_, index) => index % 2 === 1).slice(0, 8), longRecording, 6);
const excerpt = path.join(sampleDirectory, 'query-broadcast-excerpt.wav');
await writeExcerpt(longRecording, excerpt, 27.5, 6);
const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${(seconds % 60).toFixed(1).padStart(4, '0')}`;

const redis = await ensureRedis(apiConfig.redis.url, 'data/redis');
const indexer = await startIndexer(loadIndexerConfig(env));
const worker = await startWorker(loadWorkerConfig(env));
const api = await startApi(apiConfig);
const headers: Record<string, string> = { 'content-type': 'application/json' };
if (apiConfig.server.apiKeys[0]) headers.authorization = `Bearer ${apiConfig.server.apiKeys[0]}`;

async function call<T>(method: string, route: string, body?: unknown): Promise<T> {
  // No content-type without a body: the API refuses an empty JSON body.
  const { 'content-type': _, ...bare } = headers;
  const response = await fetch(`${api.url}${route}`, {
    method,
    headers: body === undefined ? bare : headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json()) as T & { error?: { code: string; message: string } };
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${answer.error?.code} ${answer.error?.message}`);
  return answer;
}

/**
 * A demo collection left by an earlier version, built with another default model, cannot take
 * this version's vectors (every item would fail MODEL_MISMATCH): it is the demo's own, so
 * delete it and build it again.
 */
async function dropIfBuiltWithAnotherModel(modelId: string): Promise<void> {
  const existing = await fetch(`${api.url}/v1/collections/${collection}`, { headers });
  if (existing.status === 404) return;
  const { model } = (await existing.json()) as { model?: { id: string } | null };
  if (!model || model.id === modelId) return;
  console.log(`the ${collection} collection was built with ${model.id}; deleting it to build it again with ${modelId}`);
  await call('DELETE', `/v1/collections/${collection}`);
  const started = Date.now();
  while ((await fetch(`${api.url}/v1/collections/${collection}`, { headers })).status !== 404) {
    if (Date.now() - started > 60_000) throw new Error(`collection ${collection} was not deleted within a minute`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

let exitCode = 0;
try {
  await dropIfBuiltWithAnotherModel(loadModelCard(apiConfig.model.model).id);
  const items = [
    ...clips.map((clip) => ({ id: clip.name, url: pathToFileURL(clip.file).href, metadata: { kind: clip.kind } })),
    { id: 'long-broadcast', url: pathToFileURL(longRecording).href, metadata: { kind: 'broadcast', pieces: pieces.map((piece) => piece.name) } },
  ];
  const accepted = await call<{ batchId: string; accepted: number }>('POST', '/v1/ingest', { collection, items });
  console.log(`accepted ${accepted.accepted} items as batch ${accepted.batchId}`);

  const started = Date.now();
  let lastLine = '';
  for (;;) {
    const status = await call<{ total: number; embedded: number; indexed: number; failed: number; state: string; failures: unknown[] }>(
      'GET',
      `/v1/batches/${accepted.batchId}`,
    );
    const line = `  embedded ${status.embedded}/${status.total}  indexed ${status.indexed}  failed ${status.failed}`;
    if (line !== lastLine) console.log(line);
    lastLine = line;
    if (status.state === 'done') {
      if (status.failed > 0) console.log('failures:', JSON.stringify(status.failures, null, 2));
      break;
    }
    if (Date.now() - started > 300_000) throw new Error('batch did not finish within 5 minutes');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const queries = [
    { label: 'tone-440 (the clip itself)', url: pathToFileURL(clips.find((clip) => clip.name === 'tone-440')!.file).href },
    { label: 'noise-pink (the clip itself)', url: pathToFileURL(clips.find((clip) => clip.name === 'noise-pink')!.file).href },
    { label: 'speech-weather at -6 dB (a copy not in the index)', url: pathToFileURL(quieterCopy).href },
    {
      label: `6 s of long-broadcast from ${clock(27.5)} (pieces ${pieces.find((piece) => piece.start === 24)!.name}, ${pieces.find((piece) => piece.start === 30)!.name})`,
      url: pathToFileURL(excerpt).href,
    },
  ];
  for (const query of queries) {
    const answer = await call<{
      snapshot: { version: number; count: number; recordings?: number };
      results: { id: string; score: number; match?: { start: number; end: number | null }; metadata?: { kind?: string } }[];
    }>('POST', '/v1/search', { collection, k: 5, query: { url: query.url } });
    console.log(
      `\nquery: ${query.label}   (snapshot v${answer.snapshot.version}: ${answer.snapshot.recordings ?? answer.snapshot.count} recordings, ${answer.snapshot.count} segments)`,
    );
    answer.results.forEach((result, rank) => {
      const where = result.match && result.match.end !== null ? `${clock(result.match.start)}-${clock(result.match.end)}` : '';
      console.log(`  ${String(rank + 1).padStart(2)}. ${result.score.toFixed(4)}  ${result.id.padEnd(18)} ${where.padEnd(14)} ${result.metadata?.kind ?? ''}`);
    });
  }
} catch (error) {
  console.error('demo failed:', error);
  exitCode = 1;
} finally {
  await api.stop();
  await worker.stop();
  await indexer.stop();
  await redis.stop();
}
process.exit(exitCode);
