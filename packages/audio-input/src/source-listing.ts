import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ListObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { AppError, checkS3Bucket } from '@audio-index/shared';
import { resolveUnderFileRoot } from './local-file.ts';
import { parseS3Url, s3Url } from './s3-location.ts';

export interface SourcePage {
  /** Item URLs, in listing order. */
  urls: string[];
  /** Where the next page starts; absent on the last page. */
  nextCursor?: string | undefined;
}

export interface SourceListingContext {
  s3?: S3Client | undefined;
  fileRoot?: string | undefined;
  /** Buckets an `s3://` source may name (S3_ALLOWED_BUCKETS); undefined or empty: none. */
  allowedS3Buckets?: readonly string[] | undefined;
}

/**
 * One page (at most `pageSize` items) of a bulk source: the objects under an S3 prefix, or
 * the regular files under a directory inside FILE_ROOT. `cursor` is what the previous page
 * returned as `nextCursor`, so a listing of any size proceeds in bounded steps.
 */
export async function listSourcePage(source: string, cursor: string | undefined, pageSize: number, context: SourceListingContext): Promise<SourcePage> {
  const url = new URL(source);
  if (url.protocol === 's3:') {
    checkS3Bucket(url, context.allowedS3Buckets, 'source');
    if (!context.s3) throw new AppError('UNSUPPORTED_SCHEME', 's3:// sources are not readable here (no S3 client configured)');
    return listS3Page(url, cursor, pageSize, context.s3);
  }
  if (url.protocol === 'file:') return listDirectoryPage(await resolveUnderFileRoot(url, context.fileRoot), cursor, pageSize);
  throw new AppError('UNSUPPORTED_SCHEME', `sources must be s3:// or file:// (got ${url.protocol})`);
}

/**
 * The cursor is the last key of the previous page (ListObjects' Marker, V2's StartAfter):
 * readable, and valid on every S3-compatible server. V1 rather than V2 because s3rver (the
 * offline test server) makes V2 continuation tokens with DES, which OpenSSL 3 refuses, so
 * any truncated V2 listing fails there; V1 paging by marker is equivalent and works on AWS,
 * MinIO and s3rver alike.
 */
async function listS3Page(url: URL, cursor: string | undefined, pageSize: number, client: S3Client): Promise<SourcePage> {
  const { bucket, key: prefix } = parseS3Url(url);
  let page;
  try {
    page = await client.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, MaxKeys: pageSize, Marker: cursor }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || status === 403) throw new AppError('FETCH_NOT_FOUND', `cannot list ${url.href} (${status})`, { cause: error });
    throw new AppError('FETCH_FAILED', `listing ${url.href} failed: ${(error as Error).message}`, { cause: error });
  }
  const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
  // Keys ending in "/" are the folder markers consoles create, not objects.
  const urls = keys.filter((key) => !key.endsWith('/')).map((key) => s3Url(bucket, key));
  return { urls, nextCursor: page.IsTruncated && keys.length > 0 ? keys.at(-1) : undefined };
}

/**
 * Regular files under `directory`, depth first with each directory's entries in byte
 * order, so the walk order is a total order on relative paths and a page can resume after
 * the last path of the previous one, skipping whole subtrees that come before it.
 * Symbolic links are not followed: they could lead out of FILE_ROOT.
 */
async function listDirectoryPage(directory: string, cursor: string | undefined, pageSize: number): Promise<SourcePage> {
  const after = cursor ? cursor.split('/') : undefined;
  const found: string[][] = [];
  // One more than a page tells whether another page follows, without an empty last page.
  const wanted = pageSize + 1;
  const visit = async (relative: string[]): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(path.join(directory, ...relative), { withFileTypes: true });
    } catch (error) {
      if (relative.length === 0) throw new AppError('FETCH_NOT_FOUND', `cannot read directory ${directory}`, { cause: error });
      return; // a subdirectory removed while listing
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (found.length >= wanted) return;
      const entryPath = [...relative, entry.name];
      if (entry.isDirectory()) {
        if (!after || isPrefix(entryPath, after) || compareSegments(entryPath, after) > 0) await visit(entryPath);
      } else if (entry.isFile() && (!after || compareSegments(entryPath, after) > 0)) {
        found.push(entryPath);
      }
    }
  };
  await visit([]);
  const page = found.slice(0, pageSize);
  const urls = page.map((segments) => pathToFileURL(path.join(directory, ...segments)).href);
  return { urls, nextCursor: found.length > pageSize ? page.at(-1)!.join('/') : undefined };
}

function isPrefix(prefix: string[], of: string[]): boolean {
  return prefix.length < of.length && prefix.every((segment, index) => segment === of[index]);
}

function compareSegments(a: string[], b: string[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    if (a[index]! !== b[index]!) return a[index]! < b[index]! ? -1 : 1;
  }
  return a.length - b.length;
}
