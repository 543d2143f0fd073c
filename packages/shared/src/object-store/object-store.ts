/**
 * The object store the indexer publishes snapshots into and the API reads them from.
 * Keys are `/`-separated relative paths; implementations add their own root/prefix.
 *
 * Contract relied on by the snapshot protocol: a `put` is atomic (readers see the old
 * object or the whole new one, never a part) and durable once it resolves.
 */
export interface ObjectStore {
  /** Human-readable location, for logs: `file:///data/store` or `s3://bucket/prefix`. */
  readonly location: string;
  put(key: string, body: Uint8Array | string): Promise<void>;
  /** The whole object, or `undefined` when it does not exist. */
  get(key: string): Promise<Buffer | undefined>;
  /** Writes the object to a local file (large shards without holding them twice). */
  download(key: string, filePath: string): Promise<void>;
  /** Keys under `prefix`, lexicographic, fetched page by page. */
  list(prefix: string): AsyncIterable<string>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export function assertSafeKey(key: string): void {
  if (key.length === 0 || key.startsWith('/') || key.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new Error(`unsafe object key: ${JSON.stringify(key)}`);
  }
}
