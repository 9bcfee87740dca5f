import type { Queryable } from '@weft/db';
import type { StepPatternRecord, ToolRecord } from './tool-stats.ts';

export interface FrequentSequence {
  /** Tools that ran one right after the other, in order (pairs and triples). */
  tools: string[];
  /** Executions in which the sequence occurred. */
  count: number;
  /** count / executions looked at. */
  support: number;
}

export interface FailingSubject {
  kind: 'tool' | 'step';
  /** `http.request`, or `<plan name>/<step id>` for a step. */
  subject: string;
  runs: number;
  successRate: number;
}

export interface PatternOptions {
  /** How many of the most recent executions to read. Default 500. */
  executions?: number;
  /** A sequence must occur in at least this many executions. Default 3. */
  minCount?: number;
  /** Longest sequences reported. Default 10. */
  limit?: number;
}

/**
 * Pairs and triples of tools that follow each other in recent executions (steps ordered by their
 * first attempt's start), counted once per execution, most frequent first.
 */
export async function frequentSequences(client: Queryable, options: PatternOptions = {}): Promise<FrequentSequence[]> {
  const { rows } = await client.query<{ execution_id: string; tool: string }>(
    `WITH recent AS (SELECT workspace_id, id FROM executions ORDER BY created_at DESC LIMIT $1)
     SELECT a.execution_id, max(a.tool) AS tool
       FROM step_attempts a
       JOIN recent e ON e.workspace_id = a.workspace_id AND e.id = a.execution_id
      WHERE a.tool IS NOT NULL
      GROUP BY a.execution_id, a.step_id
      ORDER BY a.execution_id, min(a.started_at), a.step_id`,
    [options.executions ?? 500],
  );
  const byExecution = new Map<string, string[]>();
  for (const row of rows) {
    const list = byExecution.get(row.execution_id) ?? [];
    list.push(row.tool);
    byExecution.set(row.execution_id, list);
  }
  const counts = new Map<string, number>();
  for (const tools of byExecution.values()) {
    const seen = new Set<string>();
    for (const size of [2, 3]) {
      for (let i = 0; i + size <= tools.length; i++) seen.add(JSON.stringify(tools.slice(i, i + size)));
    }
    for (const key of seen) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = byExecution.size;
  const minCount = options.minCount ?? 3;
  return [...counts.entries()]
    .filter(([, count]) => count >= minCount)
    .map(([key, count]) => ({ tools: JSON.parse(key) as string[], count, support: count / total }))
    .sort(
      (a, b) => b.count - a.count || b.tools.length - a.tools.length || a.tools.join().localeCompare(b.tools.join()),
    )
    .slice(0, options.limit ?? 10);
}

/** Tools and plan steps whose success rate is below `threshold` over at least `minRuns` runs, worst first. */
export function failingSubjects(
  tools: ToolRecord[],
  steps: StepPatternRecord[],
  { threshold = 0.8, minRuns = 5 }: { threshold?: number; minRuns?: number } = {},
): FailingSubject[] {
  const out: FailingSubject[] = [];
  for (const t of tools)
    if (t.successRate !== null && t.calls >= minRuns && t.successRate < threshold)
      out.push({ kind: 'tool', subject: t.tool, runs: t.calls, successRate: t.successRate });
  for (const s of steps)
    if (s.successRate !== null && s.runs >= minRuns && s.successRate < threshold)
      out.push({ kind: 'step', subject: `${s.planName}/${s.stepId}`, runs: s.runs, successRate: s.successRate });
  return out.sort((a, b) => a.successRate - b.successRate || a.subject.localeCompare(b.subject));
}
