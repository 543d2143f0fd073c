import dns from 'node:dns/promises';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { loadModelCard } from '@audio-index/embedding';
import { jobCatalog } from '@audio-index/shared';
import { ProcessSystem } from '../support/process-system.ts';
import { closeAll, createTestBucket, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import { ARCHIVE_HOST, startBadInputServers, type BadInputServers } from './support/bad-input-fixtures.ts';

type ErrorBody = { error: { code: string; message: string } };

const DIM = loadModelCard('default').dim;

/**
 * SSRF and auth with production defaults (ALLOW_PRIVATE_NETWORKS unset), against real
 * processes. The "internal" server on 127.0.0.1 holds what an attacker wants; it must never
 * see a request, whichever way the address is spelled or reached.
 */
// One system for both describes: starting api, worker and indexer is most of this file's time.
let servers: BadInputServers;
let system: ProcessSystem;

beforeAll(async () => {
  servers = await startBadInputServers();
  const { bucket } = await createTestBucket('reliability-ssrf');
  system = await ProcessSystem.start({
    services: testServiceEnv(),
    bucket,
    namespace: uniqueName('rel').slice(0, 32).replace(/-+$/, ''),
    env: {
      // Removed, not 'false': the default is what production runs with.
      ALLOW_PRIVATE_NETWORKS: '',
      // The worker may reach the archive (the first hop of the redirect cases); the API may not.
      FETCH_ALLOWED_NETWORKS: `${ARCHIVE_HOST}/32`,
      FETCH_CONNECT_TIMEOUT_MS: '2000',
      FETCH_TOTAL_TIMEOUT_MS: '3000',
      QUERY_FETCH_TIMEOUT_MS: '3000',
      WORKER_CONCURRENCY: '16',
    },
  });
});

afterAll(async () => {
  await system?.stop();
  await servers?.close();
  await closeAll();
});

describe('SSRF: every private, loopback and link-local target is refused with FETCH_FORBIDDEN_ADDRESS', () => {
  const collection = uniqueName('ssrf');
  let targets: Record<string, string>;

  beforeAll(async () => {
    const seeded = await system.call<{ batchId: string }>('POST', `/v1/collections/${collection}/vectors`, {
      body: { items: [{ id: 'seed', vector: Array.from({ length: DIM }, (_, index) => Math.cos(index)) }] },
    });
    expect(seeded.status).toBe(202);
    await system.waitForBatch(seeded.body.batchId);
    const port = servers.internal.port;
    targets = {
      'loopback 127.0.0.1': `http://127.0.0.1:${port}/ok.wav`,
      'loopback short form 127.1': `http://127.1:${port}/ok.wav`,
      'loopback decimal 2130706433': `http://2130706433:${port}/ok.wav`,
      'loopback hex 0x7f000001': `http://0x7f000001:${port}/ok.wav`,
      'loopback octal 0177.0.0.1': `http://0177.0.0.1:${port}/ok.wav`,
      'loopback 127.255.255.254': `http://127.255.255.254:${port}/ok.wav`,
      'unspecified 0.0.0.0': `http://0.0.0.0:${port}/ok.wav`,
      'private 10.0.0.1': 'http://10.0.0.1/a.wav',
      'private 172.16.0.1': 'http://172.16.0.1/a.wav',
      'private 172.31.255.1': 'http://172.31.255.1/a.wav',
      'private 192.168.1.1': 'http://192.168.1.1/a.wav',
      'shared address space 100.64.0.1': 'http://100.64.0.1/a.wav',
      'metadata 169.254.169.254': 'http://169.254.169.254/latest/meta-data/',
      'link-local 169.254.0.1': 'http://169.254.0.1/a.wav',
      'IPv6 loopback [::1]': `http://[::1]:${port}/ok.wav`,
      'IPv6 unspecified [::]': `http://[::]:${port}/ok.wav`,
      'IPv4-mapped [::ffff:127.0.0.1]': `http://[::ffff:127.0.0.1]:${port}/ok.wav`,
      'IPv4-mapped [::ffff:a00:1] (10.0.0.1)': 'http://[::ffff:a00:1]/a.wav',
      'IPv4-mapped metadata [::ffff:169.254.169.254]': 'http://[::ffff:169.254.169.254]/latest/meta-data/',
      'IPv6 link-local [fe80::1]': 'http://[fe80::1]/a.wav',
      'IPv6 unique local [fc00::1]': 'http://[fc00::1]/a.wav',
      'IPv6 metadata [fd00:ec2::254]': 'http://[fd00:ec2::254]/latest/meta-data/',
      'IPv4-compatible [::7f00:1] (127.0.0.1)': `http://[::7f00:1]:${port}/ok.wav`,
      'IPv4-compatible [::a00:1] (10.0.0.1)': 'http://[::a00:1]/a.wav',
      'local-use NAT64 [64:ff9b:1::a00:1]': 'http://[64:ff9b:1::a00:1]/a.wav',
      '6to4 [2002:7f00:1::1] (127.0.0.1)': `http://[2002:7f00:1::1]:${port}/ok.wav`,
      '6to4 [2002:a9fe:a9fe::] (metadata)': 'http://[2002:a9fe:a9fe::]/latest/meta-data/',
      'Teredo [2001:0:4136:e378:8000:63bf:3fff:fdd2]': 'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/a.wav',
      'name resolving to loopback (localhost)': `http://localhost:${port}/ok.wav`,
      'https to loopback': `https://127.0.0.1:${port}/ok.wav`,
      'redirect to loopback': servers.archive.url('/redirect-to-loopback'),
      'redirect to metadata': servers.archive.url('/redirect-to-metadata'),
      'redirect to IPv6 loopback': servers.archive.url('/redirect-to-ipv6-loopback'),
      'redirect to private 10/8': servers.archive.url('/redirect-to-private'),
      'redirect to localhost': servers.archive.url('/redirect-to-localhost'),
    };
    // The machine's own name, when it resolves to loopback (it does in most containers).
    const hostname = os.hostname();
    const resolved = await dns.lookup(hostname).catch(() => undefined);
    if (resolved && (resolved.address.startsWith('127.') || resolved.address === '::1')) {
      targets[`host name ${hostname} resolving to ${resolved.address}`] = `http://${hostname}:${port}/ok.wav`;
    }
  });

  it('through HTTP ingest: each item fails at its first attempt, and the internal server sees nothing', async () => {
    const names = Object.keys(targets);
    const accepted = await system.call<{ batchId: string; accepted: number }>('POST', '/v1/ingest', {
      body: { collection, items: names.map((name, index) => ({ id: `t${index}`, url: targets[name], metadata: { name } })) },
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const status = await system.waitForBatch(accepted.body.batchId, 90_000);
    const byId = new Map(status.failures.map((failure) => [failure.id, failure]));
    const outcomes = names.map((name, index) => {
      const failure = byId.get(`t${index}`);
      return `${name}: ${failure ? `${failure.code} x${failure.attempts}` : 'embedded'}`;
    });
    expect(outcomes).toEqual(names.map((name) => `${name}: FETCH_FORBIDDEN_ADDRESS x1`));
    // A name's resolved address is not echoed: it would map the private network for the caller.
    const byName = byId.get(`t${names.indexOf('name resolving to loopback (localhost)')}`)!;
    expect(byName.message).toContain('localhost');
    expect(byName.message).not.toMatch(/127\.0\.0\.1|::1/);
    expect(status).toMatchObject({ total: names.length, failed: names.length, embedded: 0, indexed: 0 });
    expect(servers.internal.hits('/ok.wav') + servers.internal.hits('/latest/meta-data/')).toBe(0);
    expect(system.crashes()).toEqual([]);
  }, 120_000);

  it('through URL search: each query answers 422 FETCH_FORBIDDEN_ADDRESS', async () => {
    const outcomes: string[] = [];
    for (const [name, url] of Object.entries(targets)) {
      const answer = await system.call<ErrorBody>('POST', '/v1/search', { body: { collection, k: 1, query: { url } } });
      outcomes.push(`${name}: ${answer.status} ${answer.body?.error?.code}`);
      if (name.includes('localhost')) expect(answer.body.error.message).not.toMatch(/127\.0\.0\.1|::1/);
    }
    expect(outcomes).toEqual(Object.keys(targets).map((name) => `${name}: 422 FETCH_FORBIDDEN_ADDRESS`));
    expect(servers.internal.hits('/ok.wav') + servers.internal.hits('/latest/meta-data/')).toBe(0);
    expect(system.crashes()).toEqual([]);
  });
});

describe('auth: every route but health refuses a missing or wrong key', () => {
  const collection = uniqueName('auth');

  it('answers 401 UNAUTHORIZED to every credential but a configured key, and does nothing', async () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/v1/ingest', { collection, items: [{ url: 'https://example.org/a.wav' }] }],
      ['GET', '/v1/batches/b1'],
      ['POST', '/v1/search', { collection, query: { id: 'x' } }],
      ['POST', `/v1/search/audio?collection=${collection}`],
      ['POST', `/v1/collections/${collection}/vectors`, { items: [{ id: 'x', vector: [1] }] }],
      ['DELETE', `/v1/collections/${collection}/items/x`],
      ['GET', '/v1/collections'],
      ['GET', `/v1/collections/${collection}`],
      ['POST', `/v1/collections/${collection}/reindex`, { mode: 'all' }],
      ['GET', `/v1/collections/${collection}/snapshots`],
      ['POST', `/v1/collections/${collection}/snapshots/1/activate`],
      ['GET', `/v1/collections/${collection}/items/x/audio`],
      ['GET', '/metrics'],
      ['GET', '/docs'],
      ['GET', '/docs/json'],
      ['GET', '/admin/queues'],
      ['GET', '/admin/queues/api/queues'],
      ['PUT', '/admin/queues/api/queues/ingest/pause'],
      ['PUT', '/admin/queues/api/queues/ingest/clean/completed'],
    ];
    const credentials: [string, Record<string, string>][] = [
      ['none', {}],
      ['wrong key', { authorization: 'Bearer wrong' }],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['key with a suffix', { authorization: `Bearer ${system.key}x` }],
      ['key prefix only', { authorization: `Bearer ${system.key.slice(0, -1)}` }],
      ['basic auth with the key', { authorization: `Basic ${Buffer.from(`${system.key}:`).toString('base64')}` }],
      ['key without scheme', { authorization: system.key }],
      ['key in another header', { 'x-api-key': system.key }],
      ['two keys joined', { authorization: `Bearer wrong,${system.key}` }],
    ];
    // What a request that got through would leave: the collection's keys, a batch record, a job.
    const namespace = system.keys.namespace;
    const queue = new Queue(jobCatalog.ingestItem.queue, { connection: system.redis, prefix: system.keys.queuePrefix });
    const keysNow = async () =>
      [
        ...(await system.redis.keys(`${namespace}:{${namespace}.c.${collection}}:*`)),
        ...(await system.redis.keys(`${namespace}:{${namespace}.meta}:batch-collection:*`)),
        String(await system.redis.sismember(system.keys.collections, collection)),
        String(Object.values(await queue.getJobCounts()).reduce((sum, count) => sum + count, 0)),
      ].sort();
    const keysBefore = await keysNow();
    const refused: string[] = [];
    const expected: string[] = [];
    for (const [method, route, body] of routes) {
      for (const [credential, headers] of credentials) {
        const answer = await system.call<ErrorBody>(method, route, { auth: false, headers, body });
        refused.push(`${method} ${route} [${credential}]: ${answer.status} ${answer.body?.error?.code}`);
        expected.push(`${method} ${route} [${credential}]: 401 UNAUTHORIZED`);
      }
      const inQuery = await system.call<ErrorBody>(method, `${route}${route.includes('?') ? '&' : '?'}key=${system.key}&api_key=${system.key}`, {
        auth: false,
        body,
      });
      refused.push(`${method} ${route} [key in query]: ${inQuery.status} ${inQuery.body?.error?.code}`);
      expected.push(`${method} ${route} [key in query]: 401 UNAUTHORIZED`);
    }
    expect(refused).toEqual(expected);
    // Refused requests did nothing: no collection key, batch or job appeared.
    expect(await keysNow()).toEqual(keysBefore);
    await queue.close();

    // With a configured key, each route exists (no 404 NOT_FOUND "no route") and is not refused.
    const allowed: string[] = [];
    for (const [method, route, body] of routes.filter(([, route]) => !route.includes('/pause') && !route.includes('/clean/'))) {
      const answer = await system.call<ErrorBody>(method, route, { body });
      allowed.push(
        `${method} ${route}: ${answer.status === 401 || answer.body?.error?.code === 'NOT_FOUND' ? `${answer.status} ${answer.body?.error?.code}` : 'served'}`,
      );
    }
    expect(
      allowed.every((line) => line.endsWith(': served')),
      allowed.join('\n'),
    ).toBe(true);

    expect(await system.redis.sismember(system.keys.collections, collection)).toBe(1); // the one authorised ingest above
    const collections = await system.call<{ collections: { name: string }[] }>('GET', '/v1/collections');
    expect(collections.status).toBe(200);
    expect((await system.call('GET', '/healthz', { auth: false })).status).toBe(200);
    expect((await system.call('GET', '/readyz', { auth: false })).status).toBe(200);
    expect(system.crashes()).toEqual([]);
  });
});
