import type { Queryable } from '@weft/db';
import type { PlannerHints } from '../types.ts';
import { type Arm, type BanditChoice, type BanditStrategy, chooseArm } from './bandit.ts';
import {
  type FailingSubject,
  type FrequentSequence,
  failingSubjects,
  frequentSequences,
  type PatternOptions,
} from './patterns.ts';
import { type HistoryWindow, stepPatternStats, type ToolRecord, toolStats } from './tool-stats.ts';

export interface LearnOptions extends PatternOptions {
  since?: Date;
  strategy?: BanditStrategy;
  /** Seeds the bandit (Thompson draws, tie-breaks). Default 1. */
  seed?: number;
  /** Below this success rate a tool or step is reported as failing often. Default 0.8. */
  failureThreshold?: number;
  /** Fewer runs than this say nothing about failure rates. Default 5. */
  minRuns?: number;
}

export interface LearnedHints extends PlannerHints {
  choices: BanditChoice[];
  failing: FailingSubject[];
  frequent: FrequentSequence[];
}

/** Bandit arms for `candidates`, from their recorded statistics (no record = never run). */
export function armsFor(candidates: readonly string[], stats: readonly ToolRecord[]): Arm[] {
  const byTool = new Map(stats.map((s) => [s.tool, s]));
  return candidates.map((tool) => {
    const s = byTool.get(tool);
    return { tool, runs: s?.calls ?? 0, successes: s?.successes ?? 0 };
  });
}

/**
 * Picks the tool to run for a capability several tools provide, from this workspace's history,
 * with a reason for people (e.g. the step's event or the explanation of a draft).
 */
export async function chooseToolForCapability(
  client: Queryable,
  capability: string,
  candidates: readonly string[],
  options: { strategy?: BanditStrategy; seed?: number; since?: Date } = {},
): Promise<BanditChoice> {
  const window: HistoryWindow = { tools: [...candidates], ...(options.since ? { since: options.since } : {}) };
  const stats = await toolStats(client, window);
  return chooseArm(capability, armsFor(candidates, stats), options);
}

/**
 * What the planner should know from past runs of the workspace in scope: the preferred provider of
 * each capability offered by several tools, tools and steps that often fail, frequent sequences.
 */
export async function learnHints(
  client: Queryable,
  catalogue: ReadonlyArray<{ name: string; provides?: string }>,
  options: LearnOptions = {},
): Promise<LearnedHints> {
  const window: HistoryWindow = options.since ? { since: options.since } : {};
  const [tools, steps, frequent] = [
    await toolStats(client, window),
    await stepPatternStats(client, window),
    await frequentSequences(client, options),
  ];
  const byCapability = new Map<string, string[]>();
  for (const tool of catalogue) {
    if (!tool.provides) continue;
    byCapability.set(tool.provides, [...(byCapability.get(tool.provides) ?? []), tool.name]);
  }
  const choices: BanditChoice[] = [];
  for (const [capability, providers] of [...byCapability.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (providers.length < 2) continue;
    choices.push(chooseArm(capability, armsFor(providers, tools), { ...options }));
  }
  const failing = failingSubjects(tools, steps, {
    ...(options.failureThreshold !== undefined ? { threshold: options.failureThreshold } : {}),
    ...(options.minRuns !== undefined ? { minRuns: options.minRuns } : {}),
  });
  return {
    preferred: choices.map((c) => ({ capability: c.capability, tool: c.tool, reason: c.reason })),
    unreliable: failing.map((f) => ({
      subject: f.subject,
      successRate: f.successRate,
      runs: f.runs,
      reason: `${Math.round(f.successRate * 100)}% success over ${f.runs} ${f.kind === 'tool' ? 'calls' : 'runs'}`,
    })),
    sequences: frequent.map((f) => ({ tools: f.tools, count: f.count })),
    choices,
    failing,
    frequent,
  };
}
