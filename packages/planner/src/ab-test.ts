import { createHash } from 'node:crypto';
import type { Queryable } from '@weft/db';

/** Which of two plan versions new executions run, and in what share. */
export interface VersionSplit {
  versionA: string;
  versionB: string;
  /** Share of executions that get version B, 0..100. */
  percentB: number;
}

export interface VersionAssignment {
  versionId: string;
  arm: 'A' | 'B';
}

/**
 * Chooses a plan version for a new execution. With a `key` (a customer id, a webhook delivery id)
 * the same key always gets the same version; without one, `random` decides.
 */
export function chooseVersion(
  split: VersionSplit,
  key?: string | null,
  random: () => number = Math.random,
): VersionAssignment {
  if (!(split.percentB >= 0 && split.percentB <= 100)) throw new RangeError('percentB must be between 0 and 100');
  // 10,000 buckets: shares to 0.01 %. The split's versions are part of the hash so that a new
  // experiment reshuffles who lands where.
  const bucket =
    key === undefined || key === null
      ? Math.floor(random() * 10_000)
      : createHash('sha256').update(`${split.versionA}:${split.versionB}:${key}`).digest().readUInt32BE(0) % 10_000;
  return bucket < split.percentB * 100
    ? { versionId: split.versionB, arm: 'B' }
    : { versionId: split.versionA, arm: 'A' };
}

export interface VersionResults {
  versionId: string;
  /** Executions created. */
  runs: number;
  /** Executions in a terminal state (SUCCEEDED, FAILED, CANCELLED, ROLLED_BACK). */
  finished: number;
  succeeded: number;
  failed: number;
  /** succeeded / finished, or null before any finished. */
  successRate: number | null;
  /** Wall time from start to finish of finished executions. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface VersionComparison {
  a: VersionResults;
  b: VersionResults;
  /** Two-proportion z statistic of B's success rate against A's (positive: B better); null without data. */
  zScore: number | null;
  /** |z| ≥ 1.96: the difference in success rate is unlikely to be chance (95 %). */
  significant: boolean;
}

/** Compares the executions of two plan versions of the workspace in scope. */
export async function compareVersions(
  client: Queryable,
  versionA: string,
  versionB: string,
  options: { since?: Date } = {},
): Promise<VersionComparison> {
  const { rows } = await client.query<{
    plan_version_id: string;
    runs: string;
    finished: string;
    succeeded: string;
    failed: string;
    p50: number | null;
    p95: number | null;
  }>(
    `SELECT plan_version_id,
            count(*) AS runs,
            count(*) FILTER (WHERE status IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'ROLLED_BACK')) AS finished,
            count(*) FILTER (WHERE status = 'SUCCEEDED') AS succeeded,
            count(*) FILTER (WHERE status IN ('FAILED', 'ROLLED_BACK')) AS failed,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000)
              FILTER (WHERE finished_at IS NOT NULL AND started_at IS NOT NULL) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at) * 1000)
              FILTER (WHERE finished_at IS NOT NULL AND started_at IS NOT NULL) AS p95
       FROM executions
      WHERE plan_version_id = ANY ($1::uuid[]) AND ($2::timestamptz IS NULL OR created_at >= $2)
      GROUP BY plan_version_id`,
    [[versionA, versionB], options.since ?? null],
  );
  const results = (versionId: string): VersionResults => {
    const r = rows.find((row) => row.plan_version_id === versionId);
    const finished = Number(r?.finished ?? 0);
    const succeeded = Number(r?.succeeded ?? 0);
    return {
      versionId,
      runs: Number(r?.runs ?? 0),
      finished,
      succeeded,
      failed: Number(r?.failed ?? 0),
      successRate: finished === 0 ? null : succeeded / finished,
      p50Ms: r?.p50 === null || r?.p50 === undefined ? null : Number(r.p50),
      p95Ms: r?.p95 === null || r?.p95 === undefined ? null : Number(r.p95),
    };
  };
  const a = results(versionA);
  const b = results(versionB);
  const zScore = twoProportionZ(a, b);
  return { a, b, zScore, significant: zScore !== null && Math.abs(zScore) >= 1.96 };
}

function twoProportionZ(a: VersionResults, b: VersionResults): number | null {
  if (a.finished === 0 || b.finished === 0 || a.successRate === null || b.successRate === null) return null;
  const pooled = (a.succeeded + b.succeeded) / (a.finished + b.finished);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.finished + 1 / b.finished));
  if (se === 0) return 0;
  return (b.successRate - a.successRate) / se;
}
