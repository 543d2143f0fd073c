import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The configured bearer keys, and which of them a request presents. Rate limiting and auth
 * both ask here, so a limit is kept per verified key (every spelling of one key's header,
 * `bearer`, `BEARER`, extra spaces, is one bucket) and never per raw header text, which a
 * caller could vary to get a fresh bucket per request.
 */
export class ApiKeys {
  private readonly digests: Buffer[];
  /** One verification per request: the rate limit runs before auth and both need it. */
  private readonly verified = new WeakMap<FastifyRequest, string | null>();

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get required(): boolean {
    return this.digests.length > 0;
  }

  /**
   * A stable id of the key the request presents (a digest prefix: the same on every replica
   * whatever the order of API_KEYS, and never the key itself), or undefined when it presents
   * none of the configured keys. Digests are compared with timingSafeEqual: equal lengths,
   * and no early exit that leaks a prefix.
   */
  keyIdOf(request: FastifyRequest): string | undefined {
    const cached = this.verified.get(request);
    if (cached !== undefined) return cached ?? undefined;
    const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const presented = match ? digest(match[1]!) : undefined;
    let accepted: Buffer | undefined;
    for (const key of this.digests) if (presented && timingSafeEqual(presented, key)) accepted = key;
    const id = accepted ? accepted.toString('hex').slice(0, 32) : null;
    this.verified.set(request, id);
    return id ?? undefined;
  }
}
