import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLatestSnapshot } from '../support/snapshot-audit.ts';
import { ProcessSystem } from '../support/process-system.ts';
import { serveDirectory, type StaticFileServer } from '../support/static-file-server.ts';
import { closeAll, createTestBucket, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import { toneClip, wavBytes } from '../worker/support/wav-audio.ts';
import { waitFor } from './support/recovery-check.ts';

type ErrorBody = { error: { code: string; message: string } };

/**
 * ffmpeg reads only the bytes it was handed (issue 11, item 1). A fetched or uploaded "audio"
 * file that is an HLS playlist or an ffconcat script names a real local mp3 that no URL points
 * at and that lies outside FILE_ROOT; before the demuxer and protocol whitelists ffmpeg opened
 * and decoded it (the playlist by absolute path; the concat script by a name relative to the
 * scratch copy, i.e. a file in the apps' temp directory). Through ingest, URL search and
 * upload search, each must fail NOT_AUDIO and nothing of it may be indexed, while the plain
 * containers still decode.
 */
describe('ffmpeg opens no file but the one it was handed, on every path that decodes', () => {
  const collection = uniqueName('ffmpeg-inputs');
  let work: string;
  let served: string;
  let fileRoot: string;
  let appTemp: string;
  let files: StaticFileServer;
  let system: ProcessSystem;
  let playlist: Buffer;
  let concatScript: Buffer;
  const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', ...args]);

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-ffmpeg-'));
    served = path.join(work, 'served');
    fileRoot = path.join(work, 'file-root');
    // The apps' TMPDIR: where the worker and the API put scratch copies of what they decode.
    appTemp = path.join(work, 'app-temp');
    const secrets = path.join(work, 'not-served');
    for (const directory of [served, fileRoot, appTemp, secrets]) fs.mkdirSync(directory);
    const tone = path.join(work, 'tone.wav');
    fs.writeFileSync(tone, wavBytes(toneClip(41, 1)));
    // The secrets: real mp3s outside FILE_ROOT that no URL names.
    ffmpeg('-i', tone, path.join(secrets, 'secret.mp3'));
    ffmpeg('-i', tone, path.join(appTemp, 'beside.mp3'));
    playlist = Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.0,\n${path.join(secrets, 'secret.mp3')}\n#EXT-X-ENDLIST\n`);
    concatScript = Buffer.from('ffconcat version 1.0\nfile beside.mp3\n');
    for (const directory of [served, fileRoot]) {
      fs.writeFileSync(path.join(directory, 'playlist.wav'), playlist);
      fs.writeFileSync(path.join(directory, 'concat.mp3'), concatScript);
    }
    // Plain containers, each a different tone, that must still decode.
    for (const [index, extension] of ['mp3', 'flac', 'ogg', 'm4a', 'webm', 'aiff', 'wav'].entries()) {
      const source = path.join(work, `source-${index}.wav`);
      fs.writeFileSync(source, wavBytes(toneClip(50 + index, 1)));
      ffmpeg('-i', source, path.join(served, `good.${extension}`));
    }
    files = await serveDirectory(served);
    const { bucket } = await createTestBucket('reliability-ffmpeg');
    system = await ProcessSystem.start({
      services: testServiceEnv(),
      bucket,
      namespace: uniqueName('rel').slice(0, 32).replace(/-+$/, ''),
      env: { FILE_ROOT: fileRoot, TMPDIR: appTemp, QUERY_FETCH_TIMEOUT_MS: '20000' },
    });
  });

  afterAll(async () => {
    await system?.stop();
    await files?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    await closeAll();
  });

  const good = ['mp3', 'flac', 'ogg', 'm4a', 'webm', 'aiff', 'wav'].map((extension) => `good-${extension}`);

  it('ingest: playlists and concat scripts fail NOT_AUDIO at attempt 1, plain containers are indexed, nothing else is', async () => {
    const items: Record<string, { url: string; code?: string }> = {
      'http-playlist': { url: files.urlOf('playlist.wav'), code: 'NOT_AUDIO' },
      'http-concat': { url: files.urlOf('concat.mp3'), code: 'NOT_AUDIO' },
      'file-playlist': { url: `file://${fileRoot}/playlist.wav`, code: 'NOT_AUDIO' },
      'file-concat': { url: `file://${fileRoot}/concat.mp3`, code: 'NOT_AUDIO' },
      ...Object.fromEntries(good.map((id) => [id, { url: files.urlOf(`good.${id.slice(5)}`) }])),
    };
    const accepted = await system.call<{ batchId: string }>('POST', '/v1/ingest', {
      body: { collection, items: Object.entries(items).map(([id, item]) => ({ id, url: item.url })) },
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const status = await system.waitForBatch(accepted.body.batchId, 120_000);
    const failures = new Map(status.failures.map((failure) => [failure.id, failure]));
    const outcome = (id: string) => (failures.has(id) ? `${id}: ${failures.get(id)!.code} x${failures.get(id)!.attempts}` : `${id}: indexed`);
    expect(Object.keys(items).map(outcome)).toEqual(Object.entries(items).map(([id, item]) => (item.code ? `${id}: ${item.code} x1` : `${id}: indexed`)));
    expect(status).toMatchObject({ total: 11, failed: 4, indexed: good.length, state: 'done' });
    const audit = await auditLatestSnapshot(system.store, collection);
    expect([...audit.rowsById.keys()].sort()).toEqual([...good].sort());
    expect(audit.doubled).toEqual([]);
  }, 180_000);

  it('URL search: playlists and concat scripts answer 422 NOT_AUDIO, a plain mp3 is searched', async () => {
    const search = (url: string) =>
      system.call<ErrorBody & { results?: { id: string }[] }>('POST', '/v1/search', { body: { collection, k: 1, query: { url } } });
    // `done` means committed; the API may load that version a poll later.
    await waitFor(
      async () => (await system.call<{ count: number }>('GET', `/v1/collections/${collection}`)).body.count === good.length,
      'the API to serve the batch',
      30_000,
    );
    const answers = [];
    for (const url of [files.urlOf('playlist.wav'), files.urlOf('concat.mp3'), `file://${fileRoot}/playlist.wav`, `file://${fileRoot}/concat.mp3`]) {
      const answer = await search(url);
      answers.push(`${answer.status} ${answer.body.error?.code}`);
    }
    expect(answers).toEqual(Array.from({ length: 4 }, () => '422 NOT_AUDIO'));
    const plain = await search(files.urlOf('good.mp3'));
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    expect(plain.body.results![0]!.id).toBe('good-mp3');
  }, 120_000);

  it('upload search: playlists and concat scripts answer 422 NOT_AUDIO, a plain mp3 is searched', async () => {
    const upload = (body: Buffer, type: string) =>
      system.call<ErrorBody & { results?: { id: string }[] }>('POST', `/v1/search/audio?collection=${collection}&k=1`, {
        body,
        headers: { 'content-type': type },
      });
    const answers = [];
    for (const [body, type] of [
      [playlist, 'audio/wav'],
      [concatScript, 'audio/mpeg'],
      [playlist, 'application/octet-stream'],
    ] as const) {
      const answer = await upload(body, type);
      answers.push(`${answer.status} ${answer.body.error?.code}`);
    }
    expect(answers).toEqual(Array.from({ length: 3 }, () => '422 NOT_AUDIO'));
    const plain = await upload(fs.readFileSync(path.join(served, 'good.mp3')), 'audio/mpeg');
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    expect(plain.body.results![0]!.id).toBe('good-mp3');
    // Scratch copies are gone once each request is answered; only the planted mp3 is left.
    expect(fs.readdirSync(appTemp).filter((name) => name.startsWith('audio-index-'))).toEqual([]);
    expect(system.crashes()).toEqual([]);
  }, 120_000);
});
