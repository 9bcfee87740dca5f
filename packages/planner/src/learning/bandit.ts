import { betaSample, seededRandom } from './random.ts';

/** What the bandit knows about one provider of a capability. */
export interface Arm {
  tool: string;
  /** Finished attempts (succeeded or failed). */
  runs: number;
  successes: number;
}

export type BanditStrategy = 'ucb1' | 'thompson';

export interface BanditChoice {
  capability: string;
  tool: string;
  strategy: BanditStrategy;
  /** The score each arm got (UCB bound, or Thompson draw). */
  scores: Record<string, number>;
  /** For people: which tool, on what record, against what. */
  reason: string;
}

function describe(arm: Arm): string {
  if (arm.runs === 0) return `${arm.tool} never run`;
  return `${Math.round((100 * arm.successes) / arm.runs)}% success over ${arm.runs} run${arm.runs === 1 ? '' : 's'}`;
}

/**
 * Chooses among tools that provide one capability. UCB1 (default) tries every provider once, then
 * prefers the best success rate plus an exploration bonus that shrinks with runs; Thompson sampling
 * draws from each provider's Beta posterior. Both are deterministic for a given seed.
 */
export function chooseArm(
  capability: string,
  arms: readonly Arm[],
  options: { strategy?: BanditStrategy; seed?: number } = {},
): BanditChoice {
  const strategy = options.strategy ?? 'ucb1';
  const random = seededRandom(options.seed ?? 1);
  const sorted = [...arms].sort((a, b) => a.tool.localeCompare(b.tool));
  const first = sorted[0];
  if (!first) throw new Error('chooseArm needs at least one arm [planner-bandit-empty]');
  if (sorted.length === 1)
    return {
      capability,
      tool: first.tool,
      strategy,
      scores: { [first.tool]: 1 },
      reason: `${first.tool} is the only provider of ${capability}`,
    };

  const scores: Record<string, number> = {};
  const total = sorted.reduce((n, a) => n + a.runs, 0);
  for (const arm of sorted) {
    if (strategy === 'thompson') {
      scores[arm.tool] = betaSample(arm.successes + 1, arm.runs - arm.successes + 1, random);
    } else {
      scores[arm.tool] =
        arm.runs === 0
          ? Number.POSITIVE_INFINITY
          : arm.successes / arm.runs + Math.sqrt((2 * Math.log(total)) / arm.runs);
    }
  }
  // Ties (e.g. several untried providers) are broken by the seeded draw, not by name.
  const tieBreak = new Map(sorted.map((a) => [a.tool, random()]));
  const best = sorted.reduce((a, b) => {
    const sa = scores[a.tool] ?? 0;
    const sb = scores[b.tool] ?? 0;
    if (sa !== sb) return sb > sa ? b : a;
    return (tieBreak.get(b.tool) ?? 0) > (tieBreak.get(a.tool) ?? 0) ? b : a;
  });
  const others = sorted
    .filter((a) => a !== best)
    .map((a) => (a.runs === 0 ? `${a.tool} never run` : `${describe(a)} for ${a.tool}`));
  const label = strategy === 'thompson' ? 'Thompson sampling' : 'UCB';
  const reason =
    best.runs === 0
      ? `chose ${best.tool} for ${capability}: never run yet, so tried first (${label}); others: ${others.join(', ')}`
      : `chose ${best.tool} for ${capability}: ${describe(best)} vs ${others.join(', ')} (${label})`;
  return { capability, tool: best.tool, strategy, scores, reason };
}
