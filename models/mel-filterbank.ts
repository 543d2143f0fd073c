export interface MelFilterbankOptions {
  readonly sampleRate: number;
  readonly fftSize: number;
  readonly melBands: number;
  readonly lowHz: number;
  readonly highHz: number;
}

const hzToMel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
const melToHz = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

/**
 * Row-major [fftSize / 2 + 1, melBands] matrix of HTK-scale triangles with peak 1
 * (librosa `htk=True, norm=None`), so `power [.., bins] x matrix` gives mel power.
 *
 * Computed here rather than with MelWeightMatrix-17 because that operator snaps the
 * triangle corners to whole FFT bins: at 31.25 Hz per bin the lowest of 64 bands from
 * 20 Hz collapse to all-zero rows, which would waste those dimensions on a constant.
 * Evaluating the triangles at each bin's exact frequency leaves every band non-empty.
 */
export function melFilterbank(options: MelFilterbankOptions): Float32Array {
  const { sampleRate, fftSize, melBands, lowHz, highHz } = options;
  const bins = fftSize / 2 + 1;
  const lowMel = hzToMel(lowHz);
  const melStep = (hzToMel(highHz) - lowMel) / (melBands + 1);
  const edgesHz = Array.from({ length: melBands + 2 }, (_, i) => melToHz(lowMel + i * melStep));
  const matrix = new Float32Array(bins * melBands);
  for (let band = 0; band < melBands; band++) {
    const [left, centre, right] = [edgesHz[band]!, edgesHz[band + 1]!, edgesHz[band + 2]!];
    for (let bin = 0; bin < bins; bin++) {
      const hz = (bin * sampleRate) / fftSize;
      const rising = (hz - left) / (centre - left);
      const falling = (right - hz) / (right - centre);
      matrix[bin * melBands + band] = Math.max(0, Math.min(rising, falling));
    }
  }
  return matrix;
}
