import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fetchToFile, type FetchLimits, type FetchSources } from '@audio-index/audio-input';
import { AppError } from '@audio-index/shared';
import type { SnapshotRegistry } from '../search/snapshot-registry.ts';
import { parseByteRange, type ByteRange } from './byte-range.ts';

/** An item's recording, or the part of it a `Range` header asked for. */
export type ItemAudio =
  | { status: 200; body: Readable; size: number; contentType: string }
  | { status: 206; body: Readable; size: number; range: ByteRange; contentType: string }
  /** The range starts past the end: nothing is sent but the size (416, `Content-Range: bytes *\/size`). */
  | { status: 416; size: number };

const contentTypeByExtension: Record<string, string> = {
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.webm': 'audio/webm',
};

/**
 * Streams an indexed item's recording through the API, so a page or client holding only an
 * API key can play results whose URLs are private (s3://, file://, intranet). The fetch uses
 * the API's query limits and address guard: an item URL is no way around the SSRF policy,
 * nor an `s3://` one around S3_ALLOWED_BUCKETS.
 */
export class ItemAudioService {
  constructor(
    private readonly registry: SnapshotRegistry,
    private readonly limits: FetchLimits,
    private readonly sources: FetchSources = {},
    private readonly scratchDirectory = os.tmpdir(),
  ) {}

  /**
   * The recording, or the byte range `rangeHeader` asks for. The source is staged in full
   * first (with the fetch guards), then the range is read from the staged copy: one code path
   * for http, s3 and file sources, whose servers may not honour ranges themselves. The staged
   * copy is removed on every path: once its stream closes (sent, or the client went away), at
   * once for a 416, and when staging fails.
   */
  async open(collection: string, id: string, rangeHeader?: string): Promise<ItemAudio> {
    const snapshot = this.registry.get(collection) ?? (await this.registry.refresh(collection));
    if (!snapshot) throw new AppError('COLLECTION_NOT_FOUND', `collection ${collection} has no published snapshot`);
    const row = snapshot.findRow(id);
    if (!row) throw new AppError('ITEM_NOT_FOUND', `no item ${id} in collection ${collection}`);
    if (!row.url) throw new AppError('ITEM_NOT_FOUND', `item ${id} was imported as a vector and has no recording`);
    const scratch = path.join(this.scratchDirectory, `audio-index-play-${randomUUID()}`);
    // A file:// source is read where it is (fetched.path is not the scratch path) and left alone.
    const removeScratch = () => void fs.rm(scratch, { force: true });
    let fetched;
    try {
      fetched = await fetchToFile(row.url, scratch, this.limits, this.sources);
    } catch (error) {
      removeScratch();
      throw error;
    }
    const size = fetched.bytes;
    const range = parseByteRange(rangeHeader, size);
    if (range === 'unsatisfiable') {
      removeScratch();
      return { status: 416, size };
    }
    const body = createReadStream(fetched.path, range ? { start: range.first, end: range.last } : {});
    body.once('close', removeScratch);
    const extension = path.extname(new URL(row.url).pathname).toLowerCase();
    const declared = fetched.contentType?.startsWith('audio/') ? fetched.contentType : undefined;
    const contentType = declared ?? contentTypeByExtension[extension] ?? 'application/octet-stream';
    return range ? { status: 206, body, size, range, contentType } : { status: 200, body, size, contentType };
  }
}
