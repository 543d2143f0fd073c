import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '@audio-index/shared';
import { ffmpegInputArgs, ffmpegInputUrl, refusedFormatOf } from './ffmpeg-input-policy.ts';

export interface DecodeOptions {
  sampleRate: number;
  /** Longer audio fails with TOO_LONG (decoding stops as soon as the limit is passed). */
  maxSeconds: number;
  timeoutMs: number;
  ffmpegPath?: string;
  /** Where ffmpeg's output file goes (the fetch's scratch space); the OS temp dir by default. */
  scratchDirectory?: string;
  /** The caller's abort (a query whose client went away): ffmpeg is killed, REQUEST_ABORTED. */
  signal?: AbortSignal | undefined;
  /**
   * Called with the samples as they are decoded, in order, while the decoder still runs (and
   * with the rest at the end), so a long recording's first segments can be embedded before its
   * last ones are decoded. Together the chunks are exactly the result. Ignored by decoders that
   * finish at once (in-process WAV). A decode that then fails still fails.
   */
  onChunk?: ((samples: Float32Array) => void) | undefined;
}

/** How often a running decode's output file is read for `onChunk`. */
const CHUNK_POLL_MS = 50;

/**
 * Decodes a single-file audio container (ffmpeg-input-policy.ts: no playlists, no concat
 * scripts, nothing that opens another input) to mono float32 at `sampleRate` with an ffmpeg
 * child process. ffmpeg writes the samples into a scratch file of its own, not into a pipe
 * the event loop must drain 64 KB at a time: in `npm start` the loop also serves the API and
 * the indexer, and a pipe left full while it runs their work stalls ffmpeg. The duration cap
 * is ffmpeg's own `-fs` (it stops writing once past the cap); the child is killed on timeout
 * or abort.
 */
export async function decodeAudioFile(filePath: string, options: DecodeOptions): Promise<Float32Array> {
  if (options.signal?.aborted) throw new AppError('REQUEST_ABORTED', 'the request was abandoned by its client');
  const maxBytes = Math.ceil(options.maxSeconds * options.sampleRate) * 4;
  const outputPath = path.join(options.scratchDirectory ?? os.tmpdir(), `audio-index-decoded-${randomUUID()}.f32`);
  const output = await fs.open(outputPath, 'wx+', 0o600).catch((error: unknown) => {
    throw scratchFailure(error);
  });
  const chunks = options.onChunk ? new ChunkReader(output, options.onChunk) : undefined;
  try {
    const stderr = await runFfmpeg(filePath, output.fd, maxBytes, options).finally(() => chunks?.stop());
    const bytes = (await output.stat()).size;
    if (bytes === 0) throw notAudio(stderr, 0, filePath);
    if (bytes > maxBytes) throw new AppError('TOO_LONG', `audio is longer than ${options.maxSeconds} s`);
    if (chunks) return await chunks.finish(Math.floor(bytes / 4));
    const samples = new Float32Array(Math.floor(bytes / 4));
    await output.read(new Uint8Array(samples.buffer), 0, samples.byteLength, 0);
    return samples;
  } finally {
    await chunks?.stop();
    await output.close();
    await fs.rm(outputPath, { force: true });
  }
}

/**
 * Reads what ffmpeg has written so far every CHUNK_POLL_MS and hands it on as samples (whole
 * floats only), keeping each chunk so the whole result needs no second read of the file.
 */
class ChunkReader {
  private readonly chunks: Float32Array[] = [];
  private readBytes = 0;
  private reading: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly output: fs.FileHandle,
    private readonly onChunk: (samples: Float32Array) => void,
  ) {
    this.timer = setInterval(() => this.readMore(), CHUNK_POLL_MS);
  }

  /** Stops polling; resolves once a read under way is done. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.reading;
  }

  /** The rest of the `sampleCount` samples, handed on, then all of them as one array. */
  async finish(sampleCount: number): Promise<Float32Array> {
    await this.stop();
    await this.read(sampleCount * 4);
    const samples = new Float32Array(sampleCount);
    let offset = 0;
    for (const chunk of this.chunks) {
      samples.set(chunk, offset);
      offset += chunk.length;
    }
    return samples;
  }

  private readMore(): void {
    this.reading = this.reading
      .then(async () => {
        const { size } = await this.output.stat();
        await this.read(size - (size % 4));
      })
      .catch(() => undefined); // a failed read while ffmpeg runs is retried on the next tick; finish() reads for real
  }

  private async read(upTo: number): Promise<void> {
    if (upTo <= this.readBytes) return;
    const chunk = new Float32Array((upTo - this.readBytes) / 4);
    const { bytesRead } = await this.output.read(new Uint8Array(chunk.buffer), 0, chunk.byteLength, this.readBytes);
    if (bytesRead !== chunk.byteLength) throw new AppError('INTERNAL', `decoded audio was cut short: read ${bytesRead} of ${chunk.byteLength} bytes`);
    this.readBytes = upTo;
    this.chunks.push(chunk);
    this.onChunk(chunk);
  }
}

/** Runs ffmpeg into `outputFd`; resolves with its stderr once it exited 0. */
function runFfmpeg(filePath: string, outputFd: number, maxBytes: number, options: DecodeOptions): Promise<string> {
  const input = ffmpegInputUrl(filePath);
  // -fs: ffmpeg stops once the output passes the cap, so a file longer than maxSeconds is never decoded whole.
  const args = [
    '-nostdin',
    '-hide_banner',
    '-loglevel',
    'error',
    ...ffmpegInputArgs(),
    '-i',
    input,
    '-vn',
    '-ac',
    '1',
    '-ar',
    String(options.sampleRate),
    '-fs',
    String(maxBytes + 4),
    '-f',
    'f32le',
    'pipe:1',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpegPath ?? 'ffmpeg', args, { stdio: ['ignore', outputFd, 'pipe'] });
    let stderr = '';
    let failure: AppError | undefined;
    const fail = (error: AppError) => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => fail(new AppError('FETCH_FAILED', `decoding took longer than ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = () => fail(new AppError('REQUEST_ABORTED', 'the request was abandoned by its client'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(new AppError('INTERNAL', `cannot run ffmpeg: ${error.message}`, { cause: error }));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (failure) return reject(failure);
      if (code !== 0) return reject(ffmpegFailure(stderr, code, filePath));
      resolve(stderr);
    });
  });
}

/** ffmpeg's words when writing its output (`pipe:1`) failed: the scratch space, not the input. */
const OUTPUT_WRITE_FAILED = /pipe:1|av_interleaved_write_frame/;

const scratchFailure = (cause: unknown) =>
  new AppError('SCRATCH_WRITE_FAILED', "the decoded audio could not be written to this process's scratch space", { cause });

/** Exported for tests: the error for ffmpeg's exit `code` with `stderr`. */
export function ffmpegFailure(stderr: string, code: number | null, filePath: string): AppError {
  return OUTPUT_WRITE_FAILED.test(stderr) ? scratchFailure(new Error(stderr.trim())) : notAudio(stderr, code, filePath);
}

function notAudio(stderr: string, code: number | null, filePath: string): AppError {
  const refused = refusedFormatOf(stderr);
  if (refused) return new AppError('NOT_AUDIO', `not a plain audio file: the content is a ${refused} input, which may open other files`);
  // ffmpeg prefixes the input path, a scratch file name that means nothing to the caller.
  const reason = (stderr.trim().split('\n').at(-1) || `ffmpeg exited with ${code}`).replace(`${ffmpegInputUrl(filePath)}: `, '');
  return new AppError('NOT_AUDIO', `not decodable audio: ${reason}`);
}
