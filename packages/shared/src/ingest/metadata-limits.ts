import { AppError } from '../errors.ts';

/**
 * Caps on what one item's metadata may be. Metadata travels in the job payload, the stream
 * entry and every shard's ids file, so its size is multiplied by every copy; and nesting
 * thousands deep made the enqueue's serialiser overflow its stack after the batch was
 * recorded (answered 503). Both are checked before anything is written.
 */
export interface MetadataLimits {
  /** UTF-8 bytes of the item's metadata as JSON. */
  maxBytes: number;
  /** Levels of objects and arrays, the metadata object itself being 1. */
  maxDepth: number;
}

export const defaultMetadataLimits: MetadataLimits = { maxBytes: 16 * 1024, maxDepth: 8 };

/** PAYLOAD_TOO_LARGE (413) over the byte cap, VALIDATION_FAILED (400) over the depth cap; `path` names the field. */
export function checkMetadata(metadata: unknown, limits: MetadataLimits, path: string): void {
  const depth = depthOf(metadata, limits.maxDepth);
  if (depth > limits.maxDepth) {
    throw new AppError('VALIDATION_FAILED', `${path}: nested deeper than ${limits.maxDepth} levels`, {
      details: [{ path, message: `at most ${limits.maxDepth} levels`, max: limits.maxDepth }],
    });
  }
  const bytes = Buffer.byteLength(JSON.stringify(metadata) ?? '');
  if (bytes > limits.maxBytes) {
    throw new AppError('PAYLOAD_TOO_LARGE', `${path}: ${bytes} bytes of metadata; at most ${limits.maxBytes}`, {
      details: { path, bytes, max: limits.maxBytes },
    });
  }
}

/** Iterative, so a hostile depth cannot overflow this check's own stack; stops past `cap`. */
function depthOf(value: unknown, cap: number): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > cap) return deepest;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return deepest;
}
