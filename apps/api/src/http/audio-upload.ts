import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { byteCap } from '@audio-index/audio-input';
import { AppError } from '@audio-index/shared';

/** Content types taken as a raw audio body: left unparsed, streamed to disk by the route. */
const RAW_AUDIO_TYPES = /^(audio\/[\w.+-]+|application\/octet-stream)(;.*)?$/i;

export function acceptRawAudioBodies(app: FastifyInstance): void {
  app.addContentTypeParser(RAW_AUDIO_TYPES, (_request, payload, done) => done(null, payload));
}

/**
 * Saves the uploaded audio (raw body or the first multipart file) to a scratch file, at most
 * `maxBytes` of it, runs `use` on it and removes it. ffmpeg decodes from the file, so a large
 * upload never sits in memory. Before a byte is read, a declared length over `maxBytes` is
 * refused, then `admit` runs: whatever would refuse the upload anyway (an unknown collection,
 * a bad `k`) answers without staging it.
 */
export async function withUploadedAudio<T>(
  request: FastifyRequest,
  maxBytes: number,
  use: (filePath: string) => Promise<T>,
  admit?: () => Promise<unknown>,
): Promise<T> {
  const multipart = request.isMultipart();
  const declared = Number(request.headers['content-length']);
  if (!multipart && declared > maxBytes)
    throw new AppError('PAYLOAD_TOO_LARGE', `uploads are limited to ${maxBytes} bytes`, { details: { max: maxBytes, declared } });
  await admit?.();
  let source: Readable;
  if (multipart) {
    const file = await request.file({ limits: { fileSize: maxBytes, files: 1 } });
    if (!file) throw new AppError('VALIDATION_FAILED', 'the multipart body holds no file');
    source = file.file;
  } else if (request.body && typeof (request.body as Readable).pipe === 'function') {
    source = request.body as Readable;
  } else {
    throw new AppError('VALIDATION_FAILED', 'send the audio as the raw body (audio/* or application/octet-stream) or as a multipart file');
  }
  const filePath = path.join(os.tmpdir(), `audio-index-upload-${randomUUID()}`);
  try {
    await pipeline(
      source,
      byteCap(maxBytes, () => new AppError('PAYLOAD_TOO_LARGE', `uploads are limited to ${maxBytes} bytes`, { details: { max: maxBytes } })),
      createWriteStream(filePath),
    );
    const { size } = await fs.stat(filePath);
    if (size === 0) throw new AppError('VALIDATION_FAILED', 'the uploaded audio is empty');
    return await use(filePath);
  } finally {
    await fs.rm(filePath, { force: true });
  }
}
