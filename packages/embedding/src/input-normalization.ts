import type { ModelCard } from './model-card.ts';

/**
 * What a Hugging Face feature extractor with `do_normalize: true` does before the model:
 * each input (here each window) to zero mean and unit variance, in place. The 1e-7 is
 * the extractor's own epsilon, so results match its preprocessing.
 */
export function normalizeInPlace(window: Float32Array, mode: ModelCard['inputNormalization']): void {
  if (mode === 'none') return;
  let sum = 0;
  for (const sample of window) sum += sample;
  const mean = sum / window.length;
  let squares = 0;
  for (const sample of window) squares += (sample - mean) ** 2;
  const scale = 1 / Math.sqrt(squares / window.length + 1e-7);
  for (let i = 0; i < window.length; i++) window[i] = (window[i]! - mean) * scale;
}
