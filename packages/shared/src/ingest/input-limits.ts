import { AppError } from '../errors.ts';
import { checkMetadata, defaultMetadataLimits, type MetadataLimits } from './metadata-limits.ts';

/**
 * What one item may carry, the same on `POST /v1/ingest`, the vectors import and queue-fed
 * producers, checked before anything is recorded (docs: README "Configuration", env in
 * config/input-limits-env.ts). Ids and URLs also have fixed ceilings in the job payload's
 * schema (512 and 4096 characters) that every worker enforces; these caps can only be lower.
 */
export interface InputLimits {
  metadata: MetadataLimits;
  /** Characters of an item id. */
  maxIdLength: number;
  /** Characters of an item's URL or a bulk source's URL. */
  maxUrlLength: number;
  /** Dimensions of an imported vector (a collection's first upload fixes its dimension). */
  maxVectorDim: number;
}

export const ID_LENGTH_CEILING = 512;
export const URL_LENGTH_CEILING = 4096;

export const defaultInputLimits: InputLimits = {
  metadata: defaultMetadataLimits,
  maxIdLength: ID_LENGTH_CEILING,
  maxUrlLength: URL_LENGTH_CEILING,
  maxVectorDim: 4096,
};

/** One item's id, URL and metadata against the caps; `path` names the item (`items.3`). VALIDATION_FAILED or PAYLOAD_TOO_LARGE. */
export function checkItemInput(item: { id?: string | undefined; url?: string | undefined; metadata?: unknown }, limits: InputLimits, path: string): void {
  if (item.id !== undefined) checkLength(item.id, limits.maxIdLength, `${path}.id`, 'MAX_ID_LENGTH');
  if (item.url !== undefined) checkLength(item.url, limits.maxUrlLength, `${path}.url`, 'MAX_URL_LENGTH');
  if (item.metadata !== undefined) checkMetadata(item.metadata, limits.metadata, `${path}.metadata`);
}

/** A bulk source's URL. */
export function checkSourceUrl(source: string, limits: InputLimits): void {
  checkLength(source, limits.maxUrlLength, 'source', 'MAX_URL_LENGTH');
}

/**
 * BAD_VECTOR past MAX_VECTOR_DIM: an imported vector's length becomes a new collection's
 * dimension, so without a cap one request could make every later query and shard that wide.
 */
export function checkVectorDim(dimensions: number, limits: InputLimits, path: string): void {
  if (dimensions > limits.maxVectorDim) {
    throw new AppError('BAD_VECTOR', `${path} has ${dimensions} dimensions; at most ${limits.maxVectorDim} (MAX_VECTOR_DIM)`, {
      details: { path, actual: dimensions, max: limits.maxVectorDim },
    });
  }
}

function checkLength(value: string, max: number, path: string, variable: string): void {
  if (value.length > max) {
    throw new AppError('VALIDATION_FAILED', `${path}: ${value.length} characters; at most ${max} (${variable})`, {
      details: [{ path, message: `at most ${max} characters`, max }],
    });
  }
}
