import { formatRate } from './ranges.ts';

/** One arm of an A/B comparison, as `Plan.compareVersions` reports it. */
export interface Arm {
  number: number;
  finished: number;
  successRate: number | null;
}

/** The z a difference must reach to be called significant (two-sided, 95 %); the API's rule too. */
const Z_95 = 1.96;

/**
 * What an A/B comparison means, in a sentence: which version succeeds more often and whether that
 * could be chance. The API decides `significant`; this only words it.
 */
export function significanceInWords(a: Arm, b: Arm, zScore: number | null, significant: boolean): string {
  if (zScore === null || a.successRate === null || b.successRate === null) {
    return `Not enough to compare yet: both versions need finished runs (version ${a.number} has ${a.finished}, version ${b.number} has ${b.finished}).`;
  }
  const finished = a.finished + b.finished;
  if (a.successRate === b.successRate) {
    return `No difference: versions ${a.number} and ${b.number} both succeed ${formatRate(a.successRate)} of the time (${finished} finished runs).`;
  }
  const direction = b.successRate > a.successRate ? 'higher' : 'lower';
  const claim = `Version ${b.number}'s success rate (${formatRate(b.successRate)}) is ${direction} than version ${a.number}'s (${formatRate(a.successRate)})`;
  const z = zScore.toFixed(2);
  return significant
    ? `Significant: ${claim}, and over ${finished} finished runs a difference this large is unlikely to be chance (95 % confidence, z = ${z}).`
    : `Not significant: ${claim}, but over ${finished} finished runs this could well be chance (z = ${z}; 95 % confidence needs |z| ≥ ${Z_95}).`;
}
