export { isForbiddenAddress } from './address-policy.ts';
export { defaultFetchLimits, type FetchLimits } from './fetch-limits.ts';
export { fetchToFile, type FetchedFile } from './fetch-to-file.ts';
export { decodeAudioFile, type DecodeOptions } from './decode-audio.ts';
export { loadAudioFromUrl, type AudioLoadOptions } from './load-audio-from-url.ts';
