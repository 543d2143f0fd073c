import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@audio-index/shared';
import type { FetchLimits } from './fetch-limits.ts';

/**
 * Where a `file://` URL points, once it is known to lie under `fileRoot`. realpath resolves
 * symlinks and `..`, so the containment check sees the real target.
 */
export async function resolveUnderFileRoot(url: URL, fileRoot: string | undefined): Promise<string> {
  if (!fileRoot) throw new AppError('UNSUPPORTED_SCHEME', 'file:// URLs are refused (FILE_ROOT is not set)');
  const root = await fs.realpath(fileRoot);
  let target: string;
  try {
    target = await fs.realpath(fileURLToPath(url));
  } catch (error) {
    throw new AppError('FETCH_NOT_FOUND', `${url.href} does not exist`, { cause: error });
  }
  if (target !== root && !target.startsWith(root + path.sep)) {
    throw new AppError('FETCH_FORBIDDEN_ADDRESS', `${url.href} is outside FILE_ROOT`);
  }
  return target;
}

/** A local file is decoded where it is: copying would only cost time and disk. */
export async function resolveLocalFile(url: URL, limits: FetchLimits): Promise<{ path: string; bytes: number }> {
  const source = await resolveUnderFileRoot(url, limits.fileRoot);
  const stat = await fs.stat(source);
  if (!stat.isFile()) throw new AppError('FETCH_NOT_FOUND', `${url.href} is not a file`);
  if (stat.size > limits.maxBytes) throw new AppError('TOO_LARGE', `${url.href} is ${stat.size} bytes; the limit is ${limits.maxBytes}`);
  return { path: source, bytes: stat.size };
}
