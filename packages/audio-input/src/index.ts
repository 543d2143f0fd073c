export { createAddressPolicy, isForbiddenAddress, parseNetworks, type AddressPolicy, type AddressPolicyOptions } from './address-policy.ts';
export { defaultFetchLimits, type FetchLimits } from './fetch-limits.ts';
export { fetchToFile, type FetchedFile, type FetchSources } from './fetch-to-file.ts';
export { decodeAudioFile, type DecodeOptions } from './decode-audio.ts';
export { loadAudioFromUrl, type AudioLoadOptions } from './load-audio-from-url.ts';
export { resolveUnderFileRoot } from './local-file.ts';
export { parseS3Url, s3Url, type S3Location } from './s3-location.ts';
export { listSourcePage, type SourcePage, type SourceListingContext } from './source-listing.ts';
export { fetchAllowedNetworksEnv } from './fetch-env.ts';
