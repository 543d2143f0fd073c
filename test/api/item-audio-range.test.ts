import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, connectTestRedis, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startApiUnderTest, type ApiUnderTest } from './support/running-api.ts';
import { publishVersion, regularSpans, unitVectors, writeRecordingShard } from './support/snapshot-fixture.ts';

const DIM = 8;

/** Bytes that differ at every position that matters, so a wrong slice cannot pass. */
function recordingBytes(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let index = 0; index < size; index += 1) bytes[index] = (index * 31 + (index >> 8)) & 0xff;
  return bytes;
}

describe('item audio honours HTTP Range (staged source, real servers)', () => {
  const collection = uniqueName('range');
  const audio = recordingBytes(200_003);
  let api: ApiUnderTest;
  let origin: http.Server;
  let fileRoot: string;
  let scratch: string;
  let localFile: string;
  const previousTmpdir = process.env.TMPDIR;

  beforeAll(async () => {
    fileRoot = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'range-root-')));
    localFile = path.join(fileRoot, 'local.wav');
    fs.writeFileSync(localFile, audio);
    // The API stages http sources under os.tmpdir(): point it at a directory this test alone uses,
    // so "no staged copy is left behind" can be checked.
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'range-scratch-'));
    process.env.TMPDIR = scratch;
    origin = http.createServer((_request, response) => response.writeHead(200, { 'content-type': 'audio/wav' }).end(audio));
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    const { bucket } = await createTestBucket('api-range');
    api = await startApiUnderTest(bucket, { FILE_ROOT: fileRoot, ALLOW_PRIVATE_NETWORKS: 'true' });
    const port = (origin.address() as AddressInfo).port;
    const spans = regularSpans(3, 5, 2.5);
    const shard = await writeRecordingShard(
      api.store,
      collection,
      'audio',
      [
        { id: 'remote', url: `http://127.0.0.1:${port}/remote.wav`, vectors: unitVectors(3, DIM, 1), spans },
        { id: 'local', url: pathToFileURL(localFile).href, vectors: unitVectors(3, DIM, 2), spans },
      ],
      DIM,
    );
    await publishVersion(api.store, connectTestRedis(), api.namespace, {
      collection,
      version: 1,
      model: { id: 'fixture', dim: DIM },
      shards: [shard.entry],
      recordings: 2,
    });
  });

  afterAll(async () => {
    await api?.stop();
    await new Promise((resolve) => origin?.close(resolve));
    await closeAll();
    if (previousTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmpdir;
    fs.rmSync(fileRoot, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  async function get(id: string, range?: string) {
    const response = await fetch(`${api.api.url}/v1/collections/${collection}/items/${id}/audio`, {
      headers: { authorization: `Bearer ${api.key}`, ...(range ? { range } : {}) },
    });
    return { response, body: Buffer.from(await response.arrayBuffer()) };
  }

  async function stagedCopies(): Promise<string[]> {
    // The staged copy goes when its stream closes, just after the response ends.
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const left = fs.readdirSync(scratch).filter((name) => name.startsWith('audio-index-play-'));
      if (left.length === 0) return left;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return fs.readdirSync(scratch).filter((name) => name.startsWith('audio-index-play-'));
  }

  it.each(['remote', 'local'])('serves the whole recording, then byte ranges with 206 (%s source)', async (id) => {
    const whole = await get(id);
    expect(whole.response.status).toBe(200);
    expect(whole.response.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.response.headers.get('content-length')).toBe(String(audio.length));
    expect(whole.body.equals(audio)).toBe(true);

    for (const [header, first, last] of [
      ['bytes=100-199', 100, 199],
      ['bytes=199990-', 199_990, audio.length - 1],
      ['bytes=-7', audio.length - 7, audio.length - 1],
      ['bytes=150000-999999999', 150_000, audio.length - 1],
    ] as const) {
      const part = await get(id, header);
      expect(part.response.status, header).toBe(206);
      expect(part.response.headers.get('content-range')).toBe(`bytes ${first}-${last}/${audio.length}`);
      expect(part.response.headers.get('content-length')).toBe(String(last - first + 1));
      expect(part.response.headers.get('accept-ranges')).toBe('bytes');
      expect(part.body.equals(audio.subarray(first, last + 1)), header).toBe(true);
    }
    expect(await stagedCopies()).toEqual([]);
  });

  it('answers 416 with the size for a range past the end, and the whole body for ranges it does not serve', async () => {
    const past = await get('remote', `bytes=${audio.length}-`);
    expect(past.response.status).toBe(416);
    expect(past.response.headers.get('content-range')).toBe(`bytes */${audio.length}`);
    expect(JSON.parse(past.body.toString('utf8'))).toMatchObject({ error: { code: 'RANGE_NOT_SATISFIABLE' } });
    const multi = await get('remote', 'bytes=0-1,5-9');
    expect(multi.response.status).toBe(200);
    expect(multi.body.equals(audio)).toBe(true);
    expect(await stagedCopies()).toEqual([]);
    // A file:// source is served where it lives and never removed.
    expect(fs.existsSync(localFile)).toBe(true);
    const missing = await get('nope', 'bytes=0-1');
    expect(missing.response.status).toBe(404);
  });
});
