import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsCommand, NoSuchKey, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { assertSafeKey, type ObjectStore } from './object-store.ts';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix without leading or trailing slash; may be empty. */
  prefix: string;
  endpoint?: string | undefined;
  region: string;
  forcePathStyle: boolean;
  /** Explicit credentials (tests); production uses the standard AWS credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/** Oldest Node major this project supports (package.json engines: >=20.19). */
const OLDEST_SUPPORTED_NODE_MAJOR = 20;

/**
 * Every S3 client of the apps is built here. On Node 20 the SDK warns at the first client
 * that its releases after January 2027 need Node 22: not actionable for someone running a
 * Node this project supports (the lockfile pins an SDK that runs on 20), so it is turned
 * off with the SDK's documented switch (aws-sdk-js-v3 issue 7983), which it reads when that
 * first client is built. Older Nodes keep the warning; setup refuses them anyway.
 */
export function createS3Client(config: S3ClientConfig): S3Client {
  if (Number(process.versions.node.split('.')[0]) >= OLDEST_SUPPORTED_NODE_MAJOR) {
    // eslint-disable-next-line no-restricted-properties -- writes the SDK's own switch; reads no config
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  }
  return new S3Client(config);
}

/** Any S3-compatible endpoint (AWS, MinIO, s3rver). A single PUT is atomic in S3. */
export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  private readonly client: S3Client;

  constructor(private readonly options: S3StoreOptions) {
    this.location = `s3://${options.bucket}/${options.prefix}`;
    this.client = createS3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
    });
  }

  private keyOf(key: string): string {
    assertSafeKey(key);
    return this.options.prefix ? `${this.options.prefix}/${key}` : key;
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(key), Body: body }));
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(key) }));
      if (!answer.Body) return Buffer.alloc(0);
      return Buffer.from(await answer.Body.transformToByteArray());
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async download(key: string, filePath: string): Promise<void> {
    const answer = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(key) }));
    await fs.mkdir(path.dirname(filePath), { recursive: true });
    await pipeline(answer.Body as Readable, createWriteStream(filePath));
  }

  async *list(prefix: string): AsyncIterable<string> {
    const fullPrefix = this.options.prefix ? `${this.options.prefix}/${prefix}` : prefix;
    const strip = this.options.prefix ? this.options.prefix.length + 1 : 0;
    // ListObjects (V1) paged by Marker = the last key seen: every S3-compatible server pages it
    // the same way, while V2 continuation tokens are opaque and s3rver's break past 1,000 keys.
    let marker: string | undefined;
    for (;;) {
      const page = await this.client.send(new ListObjectsCommand({ Bucket: this.options.bucket, Prefix: fullPrefix, Marker: marker }));
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
      for (const key of keys) yield key.slice(strip);
      if (!page.IsTruncated || keys.length === 0) return;
      marker = keys.at(-1);
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(key) }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function isMissing(error: unknown): boolean {
  if (error instanceof NoSuchKey) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return status === 404;
}
