import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../../test/harness/local-redis-server.ts';
import { closeAll, createTestBucket, testS3Config } from '../../../../test/harness/test-services.ts';
import { DependencyHealth } from '../health/dependency-health.ts';
import { HealthReportingStore } from './health-reporting-store.ts';
import { LocalDirectoryStore } from './local-directory-store.ts';
import type { ObjectStore } from './object-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';

/** The same contract, checked against both implementations (S3 on the harness's real server). */
const implementations: [string, () => Promise<ObjectStore>][] = [
  ['local directory', async () => new LocalDirectoryStore(fs.mkdtempSync(path.join(os.tmpdir(), 'store-')))],
  [
    'S3',
    async () => {
      const { bucket } = await createTestBucket('store');
      const s3 = testS3Config();
      return new S3ObjectStore({
        bucket,
        prefix: 'nested/prefix',
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: s3.forcePathStyle,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      });
    },
  ],
];

describe.each(implementations)('%s object store', (_name, create) => {
  let store: ObjectStore;

  beforeAll(async () => {
    store = await create();
  });

  afterAll(async () => {
    await store.close();
    await closeAll();
  });

  it('puts, gets, downloads and deletes; a missing key reads as undefined', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
    await store.put('c/shards/a.faiss', bytes);
    expect(await store.get('c/shards/a.faiss')).toEqual(bytes);
    expect(await store.get('c/shards/missing.faiss')).toBeUndefined();
    const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'download-')), 'sub', 'a.faiss');
    await store.download('c/shards/a.faiss', target);
    expect(fs.readFileSync(target)).toEqual(bytes);
    await store.put('c/LATEST', '{"version":1}');
    await store.put('c/LATEST', '{"version":2}');
    expect((await store.get('c/LATEST'))!.toString()).toBe('{"version":2}');
    await store.delete('c/shards/a.faiss');
    expect(await store.get('c/shards/a.faiss')).toBeUndefined();
  });

  it('refuses keys that could escape the store', async () => {
    for (const key of ['../x', '/abs', 'a//b', 'a/./b', '', 'a/../../b']) await expect(store.put(key, 'x')).rejects.toThrow(/unsafe/);
  });

  it('lists a prefix in key order across more than one page', async () => {
    const keys = Array.from({ length: 1050 }, (_, index) => `paged/manifests/${String(index).padStart(12, '0')}.json`);
    for (let start = 0; start < keys.length; start += 50) await Promise.all(keys.slice(start, start + 50).map((key) => store.put(key, '{}')));
    await store.put('paged-other/x', 'not under the prefix');
    const listed: string[] = [];
    for await (const key of store.list('paged/')) listed.push(key);
    expect(listed).toEqual(keys);
  });
});

describe('a store made by createObjectStore reports to the dependency registry', () => {
  it('a directory that cannot be written is the store down; an answer, even "no such key", is it up', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'store-health-'));
    const root = path.join(parent, 'root');
    const health = new DependencyHealth();
    const store = new HealthReportingStore(new LocalDirectoryStore(root), health);
    expect(health.states()).toMatchObject([{ name: 'store', up: true }]);
    await store.put('c/LATEST', '{"version":1}');
    expect(await store.get('c/missing')).toBeUndefined();
    await expect(store.download('c/missing', path.join(parent, 'x'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(health.isUp('store')).toBe(true);

    // The store's directory replaced by a file: every write fails with ENOTDIR.
    fs.rmSync(root, { recursive: true });
    fs.writeFileSync(root, 'not a directory');
    await expect(store.put('c/LATEST', '{"version":2}')).rejects.toMatchObject({ code: expect.stringMatching(/^E/) });
    expect(health.states()).toMatchObject([{ name: 'store', up: false, reason: expect.stringMatching(/^ENOTDIR|^EEXIST/) }]);
    await expect(store.put('../escape', 'x')).rejects.toThrow(/unsafe/);
    expect(health.isUp('store')).toBe(false);

    fs.rmSync(root);
    await store.put('c/LATEST', '{"version":3}');
    expect(health.isUp('store')).toBe(true);
    const listed: string[] = [];
    for await (const key of store.list('c/')) listed.push(key);
    expect(listed).toEqual(['c/LATEST']);
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it('an S3 server that does not answer is the store down (real client, closed port)', async () => {
    const health = new DependencyHealth();
    const s3 = testS3Config();
    // A port nothing listens on: the harness's own server is left alone.
    const closed = new URL(s3.endpoint);
    closed.port = String(await findFreePort());
    const store = new HealthReportingStore(
      new S3ObjectStore({
        bucket: 'any',
        prefix: '',
        endpoint: closed.toString(),
        region: s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      }),
      health,
    );
    await expect(store.get('c/LATEST')).rejects.toThrow();
    expect(health.states()).toMatchObject([{ name: 'store', up: false }]);
    await store.close();
  });
});
