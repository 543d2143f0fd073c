/** What decode-audio-in-process.ts needs to know of a RIFF/WAVE file to read its samples itself. */
export interface WavLayout {
  format: 'pcm16' | 'float32';
  channels: 1 | 2;
  rate: number;
  bytesPerFrame: number;
  dataOffset: number;
  dataBytes: number;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * The layout of a WAV of 16-bit PCM or 32-bit float, one or two channels, with a whole data
 * chunk inside `head` (the file's first bytes) and `fileSize`; `undefined` for anything else,
 * including any header this parser is not sure of: ffmpeg decides what those hold.
 */
export function parseWav(head: Buffer, fileSize: number): WavLayout | undefined {
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let format: Omit<WavLayout, 'dataOffset' | 'dataBytes'> | undefined;
  let offset = 12;
  while (offset + 8 <= head.length) {
    const id = head.toString('latin1', offset, offset + 4);
    const chunkBytes = head.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (format !== undefined || chunkBytes < 16 || body + chunkBytes > head.length) return undefined;
      format = parseFormat(head, body, chunkBytes);
      if (!format) return undefined;
    } else if (id === 'data') {
      // A streamed WAV (size 0 or 0xFFFFFFFF), a short file, or a partial last frame: ffmpeg decides what it holds.
      if (format === undefined || chunkBytes === 0 || body + chunkBytes > fileSize || chunkBytes % format.bytesPerFrame !== 0) return undefined;
      return { ...format, dataOffset: body, dataBytes: chunkBytes };
    }
    offset = body + chunkBytes + (chunkBytes % 2);
  }
  return undefined;
}

function parseFormat(head: Buffer, body: number, chunkBytes: number): Omit<WavLayout, 'dataOffset' | 'dataBytes'> | undefined {
  let tag = head.readUInt16LE(body);
  const channels = head.readUInt16LE(body + 2);
  const rate = head.readUInt32LE(body + 4);
  const blockAlign = head.readUInt16LE(body + 12);
  const bits = head.readUInt16LE(body + 14);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    // The sub-format GUID starts with the plain tag (KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT).
    if (chunkBytes < 40) return undefined;
    tag = head.readUInt16LE(body + 24);
  }
  if ((channels !== 1 && channels !== 2) || rate === 0) return undefined;
  let sampleFormat: WavLayout['format'];
  if (tag === WAVE_FORMAT_PCM && bits === 16) sampleFormat = 'pcm16';
  else if (tag === WAVE_FORMAT_IEEE_FLOAT && bits === 32) sampleFormat = 'float32';
  else return undefined;
  const bytesPerFrame = (channels * bits) / 8;
  if (blockAlign !== bytesPerFrame) return undefined;
  return { format: sampleFormat, channels, rate, bytesPerFrame };
}
