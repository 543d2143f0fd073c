import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { toneClip, wavBytes } from './wav-audio.ts';

/**
 * Uploads `count` distinct tiny WAVs (half a second at 8 kHz, each its own tone) under
 * `prefix`, a few at a time; returns their keys.
 */
export async function uploadToneArchive(client: S3Client, bucket: string, prefix: string, count: number, firstSeed = 0): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, index) => `${prefix}clip-${String(firstSeed + index).padStart(5, '0')}.wav`);
  let next = 0;
  const uploader = async () => {
    while (next < keys.length) {
      const index = next++;
      const body = wavBytes(toneClip(firstSeed + index + 1, 0.5, 8_000), 8_000);
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: keys[index], Body: body }));
    }
  };
  await Promise.all(Array.from({ length: 8 }, uploader));
  return keys;
}
