import type { ObjectStore } from '@audio-index/shared';

/** The real store, with the bytes written through it counted (for write amplification). */
export class CountingStore implements ObjectStore {
  bytesPut = 0;
  puts = 0;

  constructor(private readonly inner: ObjectStore) {}

  get location(): string {
    return this.inner.location;
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    await this.inner.put(key, body);
    this.bytesPut += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    this.puts += 1;
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.inner.get(key);
  }

  download(key: string, filePath: string): Promise<void> {
    return this.inner.download(key, filePath);
  }

  list(prefix: string): AsyncIterable<string> {
    return this.inner.list(prefix);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
