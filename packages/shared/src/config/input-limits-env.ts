import { z } from 'zod';
import { defaultInputLimits, ID_LENGTH_CEILING, URL_LENGTH_CEILING, type InputLimits } from '../ingest/input-limits.ts';

/**
 * The caps on what one item may carry (ingest/input-limits.ts), as environment variables.
 * The API spreads this shape into its env schema and passes `inputLimitsFromEnv(config)` on.
 */
export const inputLimitsEnvShape = {
  /** UTF-8 bytes of one item's metadata as JSON (413 PAYLOAD_TOO_LARGE past it). */
  MAX_METADATA_BYTES: z.coerce
    .number()
    .int()
    .min(2)
    .max(1024 * 1024)
    .default(defaultInputLimits.metadata.maxBytes),
  /** Nesting levels of one item's metadata, the object itself being 1 (400 VALIDATION_FAILED). */
  MAX_METADATA_DEPTH: z.coerce.number().int().min(1).max(64).default(defaultInputLimits.metadata.maxDepth),
  /** Characters of an item id; at most 512, the job payload's own limit (400 VALIDATION_FAILED). */
  MAX_ID_LENGTH: z.coerce.number().int().min(1).max(ID_LENGTH_CEILING).default(defaultInputLimits.maxIdLength),
  /** Characters of an item or source URL; at most 4096, the job payload's own limit (400 VALIDATION_FAILED). */
  MAX_URL_LENGTH: z.coerce.number().int().min(16).max(URL_LENGTH_CEILING).default(defaultInputLimits.maxUrlLength),
  /** Dimensions of an imported vector (400 BAD_VECTOR). */
  MAX_VECTOR_DIM: z.coerce.number().int().min(1).max(65_536).default(defaultInputLimits.maxVectorDim),
};

export type InputLimitsEnv = z.infer<z.ZodObject<typeof inputLimitsEnvShape>>;

export function inputLimitsFromEnv(config: InputLimitsEnv): InputLimits {
  return {
    metadata: { maxBytes: config.MAX_METADATA_BYTES, maxDepth: config.MAX_METADATA_DEPTH },
    maxIdLength: config.MAX_ID_LENGTH,
    maxUrlLength: config.MAX_URL_LENGTH,
    maxVectorDim: config.MAX_VECTOR_DIM,
  };
}
