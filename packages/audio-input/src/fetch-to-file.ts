import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { AppError } from '@audio-index/shared';
import { isForbiddenAddress } from './address-policy.ts';
import type { FetchLimits } from './fetch-limits.ts';

export interface FetchedFile {
  path: string;
  bytes: number;
  contentType: string | undefined;
}

/**
 * Fetches `url` into `targetPath` (a `file://` URL under FILE_ROOT is read where it is, and
 * the returned `path` says so), enforcing the size cap, both timeouts, the redirect
 * limit and the address policy on every hop. The body goes to a file because ffmpeg needs
 * to seek in some containers (MP4 with its index at the end).
 */
export async function fetchToFile(url: string, targetPath: string, limits: FetchLimits): Promise<FetchedFile> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new AppError('INVALID_URL', `not a URL: ${url}`, { cause: error });
  }
  if (parsed.protocol === 'file:') return resolveLocalFile(parsed, targetPath, limits);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AppError('UNSUPPORTED_SCHEME', `scheme ${parsed.protocol} is not supported (use http, https or file)`);
  }
  const deadline = AbortSignal.timeout(limits.totalTimeoutMs);
  for (let hop = 0; hop <= limits.maxRedirects; hop += 1) {
    const response = await requestHeaders(parsed, limits, deadline);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.resume();
      parsed = new URL(response.headers.location, parsed);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        throw new AppError('UNSUPPORTED_SCHEME', `redirect to unsupported scheme ${parsed.protocol}`);
      }
      continue;
    }
    if (status === 404 || status === 410) {
      response.resume();
      throw new AppError('FETCH_NOT_FOUND', `${parsed.href} answered ${status}`);
    }
    if (status < 200 || status >= 300) {
      response.resume();
      // 5xx and 429 are worth retrying; other 4xx will not change.
      const transient = status >= 500 || status === 429 || status === 408;
      throw new AppError(transient ? 'FETCH_FAILED' : 'FETCH_NOT_FOUND', `${parsed.href} answered ${status}`);
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      response.destroy();
      throw new AppError('TOO_LARGE', `${parsed.href} is ${declared} bytes; the limit is ${limits.maxBytes}`);
    }
    const bytes = await writeCapped(response, targetPath, limits.maxBytes, deadline);
    return { path: targetPath, bytes, contentType: response.headers['content-type'] };
  }
  throw new AppError('FETCH_TOO_MANY_REDIRECTS', `more than ${limits.maxRedirects} redirects from ${url}`);
}

function guardedLookup(allowPrivate: boolean): LookupFunction {
  // Checking the address the socket will actually use (not a separate resolution) closes
  // the DNS-rebinding gap between "check" and "connect".
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as dns.LookupAddress[];
      const refused = allowPrivate ? undefined : list.find((entry) => isForbiddenAddress(entry.address));
      if (refused) {
        return callback(new AppError('FETCH_FORBIDDEN_ADDRESS', `${hostname} resolves to forbidden address ${refused.address}`), '', 0);
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(new Error(`no address for ${hostname}`), '', 0);
      return callback(null, first.address, first.family);
    });
  };
}

function requestHeaders(url: URL, limits: FetchLimits, deadline: AbortSignal): Promise<http.IncomingMessage> {
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) && !limits.allowPrivateNetworks && isForbiddenAddress(literal)) {
    return Promise.reject(new AppError('FETCH_FORBIDDEN_ADDRESS', `${url.hostname} is a forbidden address`));
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, {
      lookup: guardedLookup(limits.allowPrivateNetworks),
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
      reject(toFetchError(error, url));
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

async function writeCapped(body: Readable, targetPath: string, maxBytes: number, deadline: AbortSignal): Promise<number> {
  let received = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > maxBytes) callback(new AppError('TOO_LARGE', `body exceeds the ${maxBytes}-byte limit`));
      else callback(null, chunk);
    },
  });
  try {
    await pipeline(body, cap, createWriteStream(targetPath), { signal: deadline });
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (deadline.aborted) throw new AppError('FETCH_FAILED', 'download did not finish within the time limit', { cause: error });
    throw new AppError('FETCH_FAILED', `download failed: ${(error as Error).message}`, { cause: error });
  }
  return received;
}

async function resolveLocalFile(url: URL, _targetPath: string, limits: FetchLimits): Promise<FetchedFile> {
  if (!limits.fileRoot) throw new AppError('UNSUPPORTED_SCHEME', 'file:// URLs are refused (FILE_ROOT is not set)');
  const root = await fs.realpath(limits.fileRoot);
  let source: string;
  try {
    // realpath resolves symlinks and `..`, so the containment check sees the real target.
    source = await fs.realpath(fileURLToPath(url));
  } catch (error) {
    throw new AppError('FETCH_NOT_FOUND', `${url.href} does not exist`, { cause: error });
  }
  if (source !== root && !source.startsWith(root + path.sep)) {
    throw new AppError('FETCH_FORBIDDEN_ADDRESS', `${url.href} is outside FILE_ROOT`);
  }
  const stat = await fs.stat(source);
  if (!stat.isFile()) throw new AppError('FETCH_NOT_FOUND', `${url.href} is not a file`);
  if (stat.size > limits.maxBytes) throw new AppError('TOO_LARGE', `${url.href} is ${stat.size} bytes; the limit is ${limits.maxBytes}`);
  // Decoded in place: copying would only cost time and disk.
  return { path: source, bytes: stat.size, contentType: undefined };
}
