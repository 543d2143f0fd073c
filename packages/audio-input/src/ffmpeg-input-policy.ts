/**
 * What ffmpeg may open when it decodes untrusted bytes. ffmpeg picks a demuxer from the
 * content, not the file name, and some demuxers open further inputs by themselves: an HLS
 * playlist (`#EXTM3U`) or an ffconcat script names other files or URLs, and ffmpeg reads them
 * (measured with Debian's ffmpeg 5.1: a "wav" that is a playlist decoded a local mp3 outside
 * FILE_ROOT; a concat script naming a file beside the scratch copy did too). So the input is
 * limited to single-file audio containers, opened through the `file` protocol only.
 */

/**
 * Demuxer names as `ffmpeg -demuxers` prints them on Debian 12 (ffmpeg 5.1). A multi-name
 * demuxer matches by any one of its names: `mov` is "mov,mp4,m4a,3gp,3g2,mj2" and `matroska`
 * is "matroska,webm". None of these opens another input, with one caveat: mov can follow
 * external data references, but only with `enable_drefs`, which is off by default (it cannot be
 * forced off here: the other demuxers reject the option), and the `file`-only protocol list
 * keeps even those from reaching the network.
 */
const AUDIO_DEMUXERS = [
  'wav',
  'w64',
  'mp3',
  'flac',
  'ogg', // vorbis, opus, speex, flac in ogg
  'mov', // mp4, m4a, 3gp
  'aac', // raw ADTS
  'matroska', // mka, webm
  'aiff',
  'caf',
  'au',
  'asf', // wma
  'ac3',
  'eac3',
  'wv',
] as const;

/** The input options that go before `-i`; the input itself must be given as `ffmpegInputUrl()`. */
export function ffmpegInputArgs(): string[] {
  return ['-protocol_whitelist', 'file', '-format_whitelist', AUDIO_DEMUXERS.join(',')];
}

/**
 * `file:` + the absolute path: with only the `file` protocol allowed, a path that looks like
 * another protocol (`http:…`, `concat:…`) can never be read as one.
 */
export function ffmpegInputUrl(filePath: string): string {
  return `file:${filePath}`;
}

/** ffmpeg's stderr line when the content is a demuxer outside the list (a playlist, a concat script, ...). */
export function refusedFormatOf(stderr: string): string | undefined {
  return /\[(\w+) @ [^\]]+\] Format not on whitelist/.exec(stderr)?.[1];
}
