import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EmbeddingError } from './embedding-error.ts';

/** What a card.json holds. Field meanings are documented in models/README.md. */
export const ModelCardSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9._@/-]+$/, 'letters, digits and . _ @ / - only'),
    description: z.string().optional(),
    file: z.string().min(1).default('model.onnx'),
    sampleRate: z.number().int().positive(),
    inputName: z.string().min(1),
    outputName: z.string().min(1),
    outputKind: z.enum(['pooled', 'frames']),
    dim: z.number().int().positive(),
    windowSeconds: z.number().positive(),
    hopSeconds: z.number().positive(),
    minSeconds: z.number().positive(),
    /** Hugging Face feature extractors with `do_normalize: true` expect zero mean, unit variance. */
    inputNormalization: z.enum(['none', 'zero-mean-unit-variance']).default('none'),
    /**
     * The model cut at its frames (docs/shared-frames.md): when present, overlapping segments of a
     * recording share one run of the front end and only the head runs per segment.
     */
    sharedFrames: z
      .object({
        frontEndFile: z.string().min(1),
        headFile: z.string().min(1),
        frameOutputs: z.array(z.object({ name: z.string().min(1), channels: z.number().int().positive() })).min(1),
        hopSamples: z.number().int().positive(),
        reachSamples: z.number().int().positive(),
      })
      .optional(),
  })
  .refine((card) => card.hopSeconds <= card.windowSeconds, { message: 'hopSeconds must not exceed windowSeconds', path: ['hopSeconds'] })
  .refine((card) => card.minSeconds <= card.windowSeconds, { message: 'minSeconds must not exceed windowSeconds', path: ['minSeconds'] })
  // Normalising a window by its own mean and variance makes every frame depend on the whole window.
  .refine((card) => !card.sharedFrames || card.inputNormalization === 'none', {
    message: 'sharedFrames needs inputNormalization "none"',
    path: ['sharedFrames'],
  });

export type ModelCardFile = z.infer<typeof ModelCardSchema>;

/** A parsed card plus where its files are, resolved when it was loaded. */
export type ModelCard = Readonly<ModelCardFile> & {
  readonly cardPath: string;
  readonly modelPath: string;
  /** The front end's and head's files, when the card has `sharedFrames`. */
  readonly sharedFramePaths?: { readonly frontEnd: string; readonly head: string };
};

// The repository ships models/ next to packages/; built-in names resolve there.
const builtInModelsDirectory = resolve(dirname(fileURLToPath(import.meta.url)), '../../../models');
const defaultCardPath = resolve(builtInModelsDirectory, 'default/card.json');

/**
 * `nameOrPath` is a built-in name ("default", the default card's id, or the id of an earlier
 * default kept in models/<id>) or the path of a
 * card.json (or of the directory holding one). The model file is relative to the card.
 */
export function loadModelCard(nameOrPath: string): ModelCard {
  const cardPath = resolveCardPath(nameOrPath);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(cardPath, 'utf8'));
  } catch (cause) {
    throw new EmbeddingError('MODEL_CARD_INVALID', `cannot read model card ${cardPath}`, { cause });
  }
  const parsed = ModelCardSchema.safeParse(json);
  if (!parsed.success) {
    throw new EmbeddingError('MODEL_CARD_INVALID', `model card ${cardPath} is invalid: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const besideCard = (file: string) => {
    const path = isAbsolute(file) ? file : resolve(dirname(cardPath), file);
    if (!existsSync(path)) throw new EmbeddingError('MODEL_CARD_INVALID', `model card ${cardPath} names ${path}, which does not exist`);
    return path;
  };
  const modelPath = besideCard(parsed.data.file);
  const { sharedFrames } = parsed.data;
  const sharedFramePaths = sharedFrames && { frontEnd: besideCard(sharedFrames.frontEndFile), head: besideCard(sharedFrames.headFile) };
  return Object.freeze({ ...parsed.data, cardPath, modelPath, ...(sharedFramePaths && { sharedFramePaths }) });
}

function resolveCardPath(nameOrPath: string): string {
  if (nameOrPath === 'default') return defaultCardPath;
  const path = resolve(nameOrPath);
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats?.isDirectory()) return resolve(path, 'card.json');
  if (!stats && nameOrPath === defaultCardId()) return defaultCardPath;
  if (!stats && BUILT_IN_NAME.test(nameOrPath)) {
    // An earlier default kept under its own id (models/logmel-stats-v3): collections built
    // with it keep loading it until they are reindexed to the new default.
    const kept = resolve(builtInModelsDirectory, nameOrPath, 'card.json');
    if (existsSync(kept)) return kept;
  }
  return path;
}

/** A bare model id: no separators, so it can only name a directory directly under models/. */
const BUILT_IN_NAME = /^[a-z0-9][a-z0-9.-]*$/;

function defaultCardId(): unknown {
  try {
    return (JSON.parse(readFileSync(defaultCardPath, 'utf8')) as { id?: unknown }).id;
  } catch {
    return undefined;
  }
}
