import { spawn } from 'node:child_process';
import { AppError } from '@audio-index/shared';
import { ffmpegInputArgs, ffmpegInputUrl, refusedFormatOf } from './ffmpeg-input-policy.ts';

export interface DecodeOptions {
  sampleRate: number;
  /** Longer audio fails with TOO_LONG (decoding stops as soon as the limit is passed). */
  maxSeconds: number;
  timeoutMs: number;
  ffmpegPath?: string;
  /** The caller's abort (a query whose client went away): ffmpeg is killed, REQUEST_ABORTED. */
  signal?: AbortSignal | undefined;
}

/**
 * Decodes a single-file audio container (ffmpeg-input-policy.ts: no playlists, no concat
 * scripts, nothing that opens another input) to mono float32 at `sampleRate`, streamed from an ffmpeg
 * child process. The child is killed on timeout or once the duration cap is exceeded.
 */
export function decodeAudioFile(filePath: string, options: DecodeOptions): Promise<Float32Array> {
  const maxSamples = Math.ceil(options.maxSeconds * options.sampleRate);
  const input = ffmpegInputUrl(filePath);
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', ...ffmpegInputArgs(), '-i', input, '-vn', '-ac', '1', '-ar', String(options.sampleRate), '-f', 'f32le', 'pipe:1'];
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new AppError('REQUEST_ABORTED', 'the request was abandoned by its client'));
    const child = spawn(options.ffmpegPath ?? 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    let failure: AppError | undefined;
    const fail = (error: AppError) => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => fail(new AppError('FETCH_FAILED', `decoding took longer than ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = () => fail(new AppError('REQUEST_ABORTED', 'the request was abandoned by its client'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxSamples * 4) fail(new AppError('TOO_LONG', `audio is longer than ${options.maxSeconds} s`));
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
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
      if (code !== 0 || bytes === 0) {
        const refused = refusedFormatOf(stderr);
        if (refused) return reject(new AppError('NOT_AUDIO', `not a plain audio file: the content is a ${refused} input, which may open other files`));
        // ffmpeg prefixes the input path, a scratch file name that means nothing to the caller.
        const reason = (stderr.trim().split('\n').at(-1) || `ffmpeg exited with ${code}`).replace(`${input}: `, '');
        return reject(new AppError('NOT_AUDIO', `not decodable audio: ${reason}`));
      }
      const samples = new Float32Array(Math.floor(bytes / 4));
      Buffer.concat(chunks, bytes).copy(Buffer.from(samples.buffer), 0, 0, samples.byteLength);
      resolve(samples);
    });
  });
}
