import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { AppError } from '@audio-index/shared';
import type { AddressPolicy } from './address-policy.ts';
import { writeCapped } from './capped-write.ts';
import { callerAbort, fetchDeadline, type FetchLimits } from './fetch-limits.ts';

/**
 * GETs an http(s) URL into `targetPath`, following at most `maxRedirects` redirects and
 * applying the address policy to every hop, all within one total deadline.
 */
export async function fetchHttpToFile(
  url: URL,
  targetPath: string,
  limits: FetchLimits,
  policy: AddressPolicy,
): Promise<{ bytes: number; contentType: string | undefined }> {
  let current = url;
  const deadline = fetchDeadline(limits);
  for (let hop = 0; hop <= limits.maxRedirects; hop += 1) {
    const response = await requestHeaders(current, limits, policy, deadline);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.resume();
      current = new URL(response.headers.location, current);
      if (current.protocol !== 'http:' && current.protocol !== 'https:') {
        throw new AppError('UNSUPPORTED_SCHEME', `redirect to unsupported scheme ${current.protocol}`);
      }
      continue;
    }
    if (status < 200 || status >= 300) {
      response.resume();
      throw statusError(current, status);
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      response.destroy();
      throw new AppError('TOO_LARGE', `${current.href} is ${declared} bytes; the limit is ${limits.maxBytes}`);
    }
    const bytes = await writeCapped(response, targetPath, limits.maxBytes, deadline, limits);
    return { bytes, contentType: response.headers['content-type'] };
  }
  throw new AppError('FETCH_TOO_MANY_REDIRECTS', `more than ${limits.maxRedirects} redirects from ${url.href}`);
}

function statusError(url: URL, status: number): AppError {
  if (status === 404 || status === 410) return new AppError('FETCH_NOT_FOUND', `${url.href} answered ${status}`);
  // 5xx, 429 and 408 are worth retrying; other 4xx will not change.
  const transient = status >= 500 || status === 429 || status === 408;
  return new AppError(transient ? 'FETCH_FAILED' : 'FETCH_NOT_FOUND', `${url.href} answered ${status}`);
}

function guardedLookup(policy: AddressPolicy): LookupFunction {
  // Checking the address the socket will actually use (not a separate resolution) closes
  // the DNS-rebinding gap between "check" and "connect".
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as dns.LookupAddress[];
      const refused = list.find((entry) => !policy.isAllowed(entry.address));
      if (refused) {
        // The address stays out of the message: it would map the private network for the caller.
        return callback(new AppError('FETCH_FORBIDDEN_ADDRESS', `${hostname} resolves to a forbidden address`), '', 0);
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(new Error(`no address for ${hostname}`), '', 0);
      return callback(null, first.address, first.family);
    });
  };
}

function requestHeaders(url: URL, limits: FetchLimits, policy: AddressPolicy, deadline: AbortSignal): Promise<http.IncomingMessage> {
  // An IP literal never goes through `lookup`, so it is judged here.
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) && !policy.isAllowed(literal)) {
    return Promise.reject(new AppError('FETCH_FORBIDDEN_ADDRESS', `${url.hostname} is a forbidden address`));
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, {
      lookup: guardedLookup(policy),
      signal: deadline,
      headers: { 'user-agent': 'audio-index/0.1', accept: 'audio/*, application/octet-stream;q=0.9, */*;q=0.5' },
    });
    const connectTimer = setTimeout(() => {
      request.destroy(new AppError('FETCH_FAILED', `no response from ${url.host} within ${limits.connectTimeoutMs} ms`));
    }, limits.connectTimeoutMs);
    request.once('response', (response) => {
      clearTimeout(connectTimer);
      resolve(response);
    });
    request.once('error', (error) => {
      clearTimeout(connectTimer);
      reject(callerAbort(limits, error) ?? toFetchError(error, url));
    });
  });
}

function toFetchError(error: unknown, url: URL): AppError {
  if (error instanceof AppError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOTFOUND') return new AppError('FETCH_NOT_FOUND', `host ${url.hostname} does not exist`, { cause: error });
  if ((error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError') {
    return new AppError('FETCH_FAILED', `fetching ${url.href} timed out`, { cause: error });
  }
  return new AppError('FETCH_FAILED', `fetching ${url.href} failed: ${(error as Error).message}`, { cause: error });
}
