import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, createTestBucket } from '../../harness/test-services.ts';
import { injectedApi, type InjectedApi } from './support/injected-api.ts';

type ErrorBody = { error: { code: string; message: string } };

describe('bearer auth, in process', () => {
  let api: InjectedApi;

  beforeAll(async () => {
    const { bucket } = await createTestBucket('inject-auth');
    api = await injectedApi(bucket, { RATE_LIMIT_PER_MINUTE: '5' });
  });

  afterAll(async () => {
    await api?.close();
    await closeAll();
  });

  it('refuses a missing, wrong or malformed key with 401 UNAUTHORIZED and a Bearer challenge, and takes every spelling of the Bearer scheme', async () => {
    const credentials: Record<string, string | undefined> = {
      missing: undefined,
      'wrong key': 'Bearer not-the-key',
      'key without scheme': api.key,
      'Basic scheme': `Basic ${api.key}`,
      'key with a suffix': `Bearer ${api.key}x`,
      'two keys': `Bearer ${api.key} second-key`,
      'lower-case scheme': `bearer ${api.key}`,
      'upper-case scheme, extra spaces': `  BEARER   ${api.key}  `,
      'the second key': 'Bearer second-key',
    };
    const got: Record<string, string> = {};
    for (const [name, authorization] of Object.entries(credentials)) {
      // A distinct address per case: each starts with its own rate-limit budget.
      const answer = await api.call<ErrorBody>('GET', '/v1/collections', {
        auth: false,
        headers: authorization === undefined ? {} : { authorization },
        remoteAddress: `10.0.0.${Object.keys(got).length + 1}`,
      });
      got[name] = answer.status === 401 ? `401 ${answer.body.error.code} ${String(answer.headers['www-authenticate'])}` : String(answer.status);
    }
    const refused = '401 UNAUTHORIZED Bearer';
    expect(got).toEqual({
      missing: refused,
      'wrong key': refused,
      'key without scheme': refused,
      'Basic scheme': refused,
      'key with a suffix': refused,
      'two keys': refused,
      'lower-case scheme': '200',
      'upper-case scheme, extra spaces': '200',
      'the second key': '200',
    });
  });

  it('leaves health open, and counts refused requests against the address: the 6th of 5 a minute is 429, a valid key keeps its own budget', async () => {
    const health = await api.call('GET', '/healthz', { auth: false });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      statuses.push(
        (await api.call('GET', '/v1/collections', { headers: { authorization: `Bearer guess-${attempt}` }, auth: false, remoteAddress: '10.1.0.1' })).status,
      );
    }
    const limited = await api.call<ErrorBody>('GET', '/v1/collections', { auth: false, remoteAddress: '10.1.0.1' });
    const withKey = await api.call('GET', '/v1/collections', { remoteAddress: '10.1.0.1' });
    expect({ health: health.status, statuses, limited: `${limited.status} ${limited.body.error.code}`, withKey: withKey.status }).toEqual({
      health: 200,
      statuses: [401, 401, 401, 401, 401, 429],
      limited: '429 RATE_LIMITED',
      withKey: 200,
    });
  });
});
