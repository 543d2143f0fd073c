import { VARIANTS, type ExcerptQuery, type Variant } from './excerpt-queries.ts';

/** How close `match.start` must be to the excerpt's true offset (issue 10). */
export const LOCATION_TOLERANCE_SECONDS = 2.5;

export interface QueryOutcome {
  readonly query: ExcerptQuery;
  /** The recording ranked first and where it says the excerpt is (undefined: no answer). */
  readonly top?: { id: string; start: number } | undefined;
}

export interface OutcomeSummary {
  readonly queries: number;
  /** The containing recording ranked first. */
  readonly recallAt1: number;
  /** Ranked first and `match.start` within the tolerance of the true offset. */
  readonly located: number;
}

export function summariseOutcomes(outcomes: readonly QueryOutcome[]): OutcomeSummary {
  const right = outcomes.filter((o) => o.top?.id === o.query.recording);
  const located = right.filter((o) => Math.abs(o.top!.start - o.query.offset) <= LOCATION_TOLERANCE_SECONDS);
  return { queries: outcomes.length, recallAt1: right.length / outcomes.length, located: located.length / outcomes.length };
}

/** Summaries per excerpt length, per variant and over all variants. */
export function summariseByLength(outcomes: readonly QueryOutcome[]): Map<number, { all: OutcomeSummary; byVariant: Map<Variant, OutcomeSummary> }> {
  const lengths = [...new Set(outcomes.map((o) => o.query.seconds))].sort((a, b) => a - b);
  return new Map(
    lengths.map((length) => {
      const ofLength = outcomes.filter((o) => o.query.seconds === length);
      const byVariant = new Map(VARIANTS.map((variant) => [variant, summariseOutcomes(ofLength.filter((o) => o.query.variant === variant))] as const));
      return [length, { all: summariseOutcomes(ofLength), byVariant }] as const;
    }),
  );
}

/** The worst variant: the targets hold for each alteration, not on average. */
export function worstOf(byVariant: Map<Variant, OutcomeSummary>): OutcomeSummary {
  const values = [...byVariant.values()];
  return {
    queries: values.reduce((sum, v) => sum + v.queries, 0),
    recallAt1: Math.min(...values.map((v) => v.recallAt1)),
    located: Math.min(...values.map((v) => v.located)),
  };
}

export const TARGETS: Record<number, number> = { 5: 0.9, 30: 0.97 };

export function meetsTargets(summary: ReturnType<typeof summariseByLength>): boolean {
  return [...summary].every(([length, { byVariant }]) => {
    const worst = worstOf(byVariant);
    const target = TARGETS[length] ?? 0;
    return worst.recallAt1 >= target && worst.located >= target;
  });
}
