import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fetchToFile, type FetchLimits } from '@audio-index/audio-input';
import { AppError } from '@audio-index/shared';
import type { SnapshotRegistry } from '../search/snapshot-registry.ts';

export interface ItemAudio {
  body: Readable;
  bytes: number;
  contentType: string;
}

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
 * the API's query limits and address guard: an item URL is no way around the SSRF policy.
 */
export class ItemAudioService {
  constructor(
    private readonly registry: SnapshotRegistry,
    private readonly limits: FetchLimits,
    private readonly scratchDirectory = os.tmpdir(),
  ) {}

  async open(collection: string, id: string): Promise<ItemAudio> {
    const snapshot = this.registry.get(collection) ?? (await this.registry.refresh(collection));
    if (!snapshot) throw new AppError('COLLECTION_NOT_FOUND', `collection ${collection} has no published snapshot`);
    const row = snapshot.findRow(id);
    if (!row) throw new AppError('ITEM_NOT_FOUND', `no item ${id} in collection ${collection}`);
    if (!row.url) throw new AppError('ITEM_NOT_FOUND', `item ${id} was imported as a vector and has no recording`);
    const scratch = path.join(this.scratchDirectory, `audio-index-play-${randomUUID()}`);
    const fetched = await fetchToFile(row.url, scratch, this.limits);
    const body = createReadStream(fetched.path);
    // The scratch copy goes as soon as the stream is done with it (a file:// source is left alone).
    body.once('close', () => void fs.rm(scratch, { force: true }));
    const extension = path.extname(new URL(row.url).pathname).toLowerCase();
    const declared = fetched.contentType?.startsWith('audio/') ? fetched.contentType : undefined;
    return { body, bytes: fetched.bytes, contentType: declared ?? contentTypeByExtension[extension] ?? 'application/octet-stream' };
  }
}
