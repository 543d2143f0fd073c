import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shipped default model's dimension (models/default/card.json): imported vectors must match a collection's model. */
export const DEFAULT_MODEL_DIM = (
  JSON.parse(readFileSync(fileURLToPath(new URL('../../models/default/card.json', import.meta.url)), 'utf8')) as { dim: number }
).dim;

/** A unit vector of the default model's dimension along its first axis. */
export const unitVectorOfDefaultDim = (): number[] => Array.from({ length: DEFAULT_MODEL_DIM }, (_, index) => (index === 0 ? 1 : 0));
