export interface AudioWindow {
  readonly start: number;
  readonly length: number;
}

/**
 * Where to cut a clip of `sampleCount` samples. A clip no longer than one window is run
 * whole, as is: padding it with zeros would add silent frames that drag every mean and
 * std statistic. A longer clip gets full windows every `hopSamples`, and when the last
 * of those stops short of the end, one more full window aligned to the end. Every window
 * of a long clip therefore has the same length (equal weight in the mean, one batch
 * shape), and no tail of audio is dropped or run as a sliver.
 */
export function planWindows(sampleCount: number, windowSamples: number, hopSamples: number): AudioWindow[] {
  if (sampleCount <= windowSamples) return [{ start: 0, length: sampleCount }];
  const windows: AudioWindow[] = [];
  let start = 0;
  for (; start + windowSamples <= sampleCount; start += hopSamples) windows.push({ start, length: windowSamples });
  const lastEnd = windows[windows.length - 1]!.start + windowSamples;
  if (lastEnd < sampleCount) windows.push({ start: sampleCount - windowSamples, length: windowSamples });
  return windows;
}

/** `planWindows(...).length`, without building the list. */
export function windowCountOf(sampleCount: number, windowSamples: number, hopSamples: number): number {
  if (sampleCount <= windowSamples) return 1;
  const full = Math.floor((sampleCount - windowSamples) / hopSamples) + 1;
  const lastEnd = (full - 1) * hopSamples + windowSamples;
  return lastEnd < sampleCount ? full + 1 : full;
}

/**
 * Repeats a clip shorter than `minimumSamples` until it is long enough. Looping keeps the
 * clip's own spectrum and variation, where zero padding would add silence the model
 * would describe; models also have a minimum input (receptive field, reflect padding).
 */
export function loopToMinimumLength(samples: Float32Array, minimumSamples: number): Float32Array {
  if (samples.length === 0 || samples.length >= minimumSamples) return samples;
  const looped = new Float32Array(minimumSamples);
  for (let offset = 0; offset < minimumSamples; offset += samples.length) {
    looped.set(samples.subarray(0, Math.min(samples.length, minimumSamples - offset)), offset);
  }
  return looped;
}
