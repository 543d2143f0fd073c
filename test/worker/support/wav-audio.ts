/** Mono 16-bit PCM WAV bytes, built in-process so fixtures need no ffmpeg run. */
export function wavBytes(samples: Float32Array, sampleRate = 16_000): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((sample, index) => data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, sample)) * 32767), index * 2));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** A tone whose frequency (and so embedding) varies with `seed`, plus a little noise. */
export function toneClip(seed: number, seconds: number, sampleRate = 16_000): Float32Array {
  const hz = 110 + ((seed * 37) % 3000);
  const samples = new Float32Array(Math.round(seconds * sampleRate));
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < samples.length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    samples[i] = 0.4 * Math.sin((2 * Math.PI * hz * i) / sampleRate) + 0.05 * ((state / 0xffffffff) * 2 - 1);
  }
  return samples;
}
