import { decodeAudioFile } from '@audio-index/audio-input';
import { buildCorpus, CORPUS_NAMES, UNSEEN_CORPORA, type CorpusName } from './corpus.ts';

/** `--corpora` of learn-robust-head.ts: a comma list of corpora, none of them held back. */
export function parseTrainingCorpora(argument: string): CorpusName[] {
  const names = argument.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(CORPUS_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) throw new Error(`--corpora must be a comma list of ${CORPUS_NAMES.join(', ')}, got ${argument}`);
  const unseen = names.filter((name) => (UNSEEN_CORPORA as readonly string[]).includes(name));
  // A held-back corpus judges a candidate once; fitting on it first would make that judgement worthless.
  if (unseen.length > 0)
    throw new Error(`--corpora must not include ${unseen.join(', ')}: held back to judge the candidate (UNSEEN_CORPORA in corpus-specs.ts)`);
  return names as CorpusName[];
}

/** Recording `row` of `corpus` as the bench decodes it, to check a written model against its fit. */
export async function originalSamples(corpusName: CorpusName, row: number): Promise<Float32Array> {
  const corpus = await buildCorpus(corpusName, '/tmp');
  return decodeAudioFile(corpus[row]!.file, { sampleRate: 16_000, maxSeconds: 600, timeoutMs: 60_000 });
}
