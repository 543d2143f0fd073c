/**
 * The bench's own figures for a head fitted on every training recording, measured on those
 * same recordings, corpus by corpus (each recording against its own corpus only, as run.ts
 * scores them). The 5-fold estimate of learn-robust-head.ts predicts a held-back corpus; it
 * cannot see what the final fit does to the corpora it is fitted on, and the fourth attempt's
 * head, kept by the estimate, lost near twins there (B's tempo +5%, C's speed +5%), because
 * squeezing each category together squeezed what tells two of its members apart.
 */
import { ALTERATIONS } from './alterations.ts';

export interface InSampleFigures {
  readonly corpus: string;
  /** Recall@1 per bench alteration (ties count against), the blended cosines of run.ts. */
  readonly recall: number[];
}

/**
 * `v3[s][i]` and `head[s][i]`: unit vectors of recording i, as it is (s = 0) or under bench
 * alteration s; a cosine is (1 - w) x v3's + w x the head's, which is what the shipped model's
 * weighted concatenation gives.
 */
export function inSampleFigures(
  v3: readonly Float32Array[][],
  head: readonly Float32Array[][],
  corpusOf: readonly string[],
  headWeight: number,
): InSampleFigures[] {
  const corpora = [...new Set(corpusOf)];
  return corpora.map((corpus) => {
    const rows = corpusOf.flatMap((name, i) => (name === corpus ? [i] : []));
    const recall = ALTERATIONS.map((_, a) => {
      const s = a + 1;
      let hits = 0;
      for (const row of rows) {
        const score = (other: number) => (1 - headWeight) * dot(v3[s]![row]!, v3[0]![other]!) + headWeight * dot(head[s]![row]!, head[0]![other]!);
        const own = score(row);
        if (rows.every((other) => other === row || score(other) < own)) hits += 1;
      }
      return hits / rows.length;
    });
    return { corpus, recall };
  });
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k]! * b[k]!;
  return sum;
}
