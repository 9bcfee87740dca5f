import type { PlanSpec, Role, StepSpec } from '@weft/engine';
import type { ToolCatalogueEntry } from '../catalogue.ts';
import { PlannerErrorCode, plannerError } from '../errors.ts';
import { chooseArm } from '../learning/bandit.ts';
import type { DraftPlanResult, PlannerHints, ProviderChoice, ValidatePlan } from '../types.ts';
import { type Clause, restore, splitRequest } from './clauses.ts';
import { type ClauseConfidence, CONFIDENCE_THRESHOLD, clauseConfidence, contentWords } from './confidence.ts';
import { type Entities, extractEntities } from './entities.ts';
import { buildInput, dataSources, hasAnaphora, isWait, type UpstreamStep } from './inputs.ts';
import { type TimeStep, timeStep } from './time-steps.ts';
import { ToolIndex, type ToolMatch } from './tool-index.ts';

interface PlannedClause {
  /** As written (quotes and URLs restored). */
  text: string;
  /** With quotes and URLs as `⟦n⟧` tokens, for entity extraction. */
  raw: string;
  joiner: Clause['joiner'];
  kind: 'tool' | 'approval' | 'time';
  tool: ToolCatalogueEntry | null;
  /** For time clauses: the durable sleep or event wait it asks for. */
  time?: TimeStep;
  /** When the clause names URLs but its tool takes none: the tool that fetches them first. */
  fetcher: ToolCatalogueEntry | null;
  /** For tool clauses: how sure the match is (see confidence.ts). */
  sure?: ClauseConfidence;
  /** For tool clauses: the request's words that matched the tool, said back as why it was chosen. */
  matched?: string[];
}

const APPROVAL = /\b(approv\w*|sign[- ]?off|human review|manual review|confirm\w*)\b/i;
const ROLES: Array<[RegExp, Role]> = [
  [/\badmins?\b/i, 'ADMIN'],
  [/\bmembers?\b/i, 'MEMBER'],
];
/** Below this success rate (over enough runs) a step gets retries. */
const UNRELIABLE_RATE = 0.8;

/**
 * Plans without a model: clauses of the request matched to tools by BM25, inputs filled from what
 * the request says. Anything it cannot match, or matches with a confidence below
 * CONFIDENCE_THRESHOLD, is reported as NEEDS_LLM, never guessed: a wrong plan costs the user more
 * than being told to ask a model.
 */
export async function draftDeterministic(
  request: string,
  tools: ToolCatalogueEntry[],
  validate: ValidatePlan,
  options: { hints?: PlannerHints; seed: number },
): Promise<DraftPlanResult> {
  const needsLlm = (message: string): DraftPlanResult => ({
    ok: false,
    error: plannerError(
      PlannerErrorCode.NEEDS_LLM,
      `${message} Set OPENAI_API_KEY to let a model plan it, or name the tools to use.`,
    ),
    planner: 'deterministic',
    attempts: 1,
    usage: null,
  });
  const split = splitRequest(request);
  const index = new ToolIndex(tools);
  const waitTool = tools.find(isWait) ?? null;
  const planned: PlannedClause[] = [];
  const unmatched: string[] = [];
  for (const clause of split.clauses) {
    const text = restore(clause.text, split.spans);
    if (APPROVAL.test(clause.text)) {
      planned.push({ text, raw: clause.text, joiner: clause.joiner, kind: 'approval', tool: null, fetcher: null });
      continue;
    }
    const entities = extractEntities(clause.text, split.spans);
    const time = timeStep(clause.text, entities, waitTool);
    if (time) {
      planned.push({ text, raw: clause.text, joiner: clause.joiner, kind: 'time', tool: null, fetcher: null, time });
      continue;
    }
    const previous = planned[planned.length - 1];
    // "… of URL1 and URL2": a piece that is only quotes or URLs continues the clause before it.
    const onlySpans = clause.text.replace(/⟦\d+⟧/g, '').trim().length === 0;
    // Cues (a URL suggests a request) only decide when the words alone name no tool.
    const query = queryText(clause.text, entities);
    let ranked: ToolMatch[] = [];
    if (!(onlySpans && previous)) {
      ranked = index.match(query);
      if (ranked.length === 0) ranked = index.match(query, cueTerms(entities));
    }
    const best = ranked[0];
    if (best) {
      const sure = clauseConfidence(contentWords(query, entities.names), best, runnerUp(ranked, best));
      planned.push({
        text,
        raw: clause.text,
        joiner: clause.joiner,
        kind: 'tool',
        tool: best.tool,
        fetcher: null,
        sure,
        matched: best.terms,
      });
      continue;
    }
    // "merge A and B": a piece after "and" that names no tool belongs to the clause before it;
    // one that acts on "it" ("and email it") is an action we have no tool for.
    if (clause.joiner === 'and' && previous && !hasAnaphora(clause.text)) {
      previous.text = `${previous.text} and ${text}`;
      previous.raw = `${previous.raw} and ${clause.text}`;
    } else unmatched.push(text);
  }
  if (unmatched.length > 0)
    return needsLlm(
      `Without an LLM I could not match ${unmatched.map((u) => `"${u}"`).join(', ')} to any tool of this workspace.`,
    );
  if (planned.length === 0) return needsLlm('Without an LLM I found nothing to do in this request.');
  const confidence = Math.min(1, ...planned.map((c) => c.sure?.confidence ?? 1));
  const doubtful = planned.filter((c) => c.sure && c.sure.confidence < CONFIDENCE_THRESHOLD);
  if (doubtful.length > 0) return needsLlm(`Without an LLM I am not sure enough: ${doubtful.map(doubt).join('; ')}.`);
  const fetcher = index.match('', ['url']).find((m) => takesUrl(m.tool))?.tool ?? null;
  for (const clause of planned) {
    const urls = extractEntities(clause.raw, split.spans).urls;
    if (clause.tool && urls.length > 0 && !takesUrl(clause.tool)) clause.fetcher = fetcher;
  }

  const choices: ProviderChoice[] = [];
  const steps: StepSpec[] = [];
  const notes: string[] = [];
  const usedIds = new Set<string>();
  let frontier: UpstreamStep[] = [];
  let group: UpstreamStep[] = [];
  for (const clause of planned) {
    // A "then" closes the group; "and" joins it when the user asked for parallel work.
    if (clause.joiner !== 'start' && (clause.joiner === 'then' || !split.parallel)) {
      frontier = group;
      group = [];
    }
    const stepId = uniqueId(
      clause.time?.kind ?? (clause.kind === 'approval' ? 'approval' : idFor(clause.tool?.name ?? 'step')),
      usedIds,
    );
    const step: StepSpec = { id: stepId };
    if (clause.kind === 'approval') {
      step.type = 'approval';
      step.message = clause.text.charAt(0).toUpperCase() + clause.text.slice(1);
      const approvers = ROLES.filter(([re]) => re.test(clause.text)).map(([, role]) => role);
      if (approvers.length > 0) step.approvers = approvers;
      if (frontier.length > 0) step.after = frontier.map((s) => s.id);
      group.push({ id: stepId, tool: null, via: frontier });
      steps.push(step);
      continue;
    }
    if (clause.time) {
      Object.assign(step, timeStepSpec(clause.time));
      if (frontier.length > 0) step.after = frontier.map((s) => s.id);
      // A sleep passes the results before it through; a wait's output is the event's data.
      group.push(clause.time.kind === 'sleep' ? { id: stepId, tool: null, via: frontier } : { id: stepId, tool: null });
      steps.push(step);
      continue;
    }
    if (!clause.tool) continue; // tool clauses always carry their match
    const tool = chooseProvider(clause.tool, tools, options, choices);
    step.tool = tool.name;
    const entities = extractEntities(clause.raw, split.spans);
    if (clause.fetcher) {
      // "summarise https://…": fetch each URL first (in parallel), then work on the responses.
      const fetches: UpstreamStep[] = [];
      for (const url of entities.urls) {
        const fetchId = uniqueId(idFor(clause.fetcher.name), usedIds);
        const fetchEntities = { ...entities, urls: [url], quoted: [], fieldList: [], names: [] };
        const fetchInput = buildInput(clause.fetcher, {
          entities: fetchEntities,
          text: url,
          upstream: [],
          anaphora: false,
        });
        steps.push({
          id: fetchId,
          tool: clause.fetcher.name,
          input: fetchInput.input,
          ...(frontier.length > 0 ? { after: frontier.map((s) => s.id) } : {}),
        });
        fetches.push({ id: fetchId, tool: clause.fetcher });
      }
      frontier = fetches;
      entities.urls = [];
    }
    // One step per URL for a tool that takes one ("fetch A and B"): they run side by side.
    const perUrl = takesUrl(tool) && entities.urls.length > 1 ? entities.urls.map((url) => [url]) : [entities.urls];
    for (const [n, urls] of perUrl.entries()) {
      const one: StepSpec = n === 0 ? step : { id: uniqueId(idFor(tool.name), usedIds), tool: tool.name };
      const built = buildInput(tool, {
        entities: { ...entities, urls },
        text: clause.text,
        upstream: dataSources(frontier),
        anaphora: hasAnaphora(clause.text) || clause.fetcher !== null,
      });
      if (Object.keys(built.input).length > 0) one.input = built.input;
      // Why this tool: the words that matched it (the console shows this beside the step). When
      // learning picked another provider of the same capability, `choices` says why instead.
      if (n === 0 && tool === clause.tool && clause.matched !== undefined && clause.matched.length > 0)
        notes.push(`${one.id} uses ${tool.name}: ${matchedWords(clause.matched)} matched it`);
      const after = frontier.map((s) => s.id).filter((id) => !built.references.includes(id));
      if (after.length > 0) one.after = after;
      if (isUnreliable(tool, options.hints)) {
        one.retry = { maxAttempts: 3, backoff: 'exponential' };
        notes.push(`${one.id} gets 3 attempts: ${tool.name} often fails here`);
      }
      if (built.fromExecutionInput.length > 0)
        notes.push(
          `${one.id} reads ${built.fromExecutionInput.map((f) => `input.${f}`).join(', ')} from the execution's input`,
        );
      group.push(isWait(tool) ? { id: one.id, tool, via: frontier } : { id: one.id, tool });
      steps.push(one);
    }
  }

  const spec: PlanSpec = { name: planName(request), steps };
  const issues = await validate(spec);
  if (issues.length > 0) {
    return {
      ok: false,
      error: plannerError(
        PlannerErrorCode.NEEDS_LLM,
        `Without an LLM the plan I could build does not validate (${issues[0]?.message ?? 'invalid'}). Set OPENAI_API_KEY to let a model plan it.`,
        issues,
      ),
      planner: 'deterministic',
      attempts: 1,
      usage: null,
    };
  }
  const outline = steps.map((s) => `${s.id} (${s.tool ?? s.type})`).join(', ');
  const explanation = [
    `Planned without an LLM by matching the request to tool names and descriptions (confidence ${confidence.toFixed(2)}): ${outline}.`,
    ...choices.map((c) => `${c.reason}.`),
    ...notes.map((n) => `${n.charAt(0).toUpperCase()}${n.slice(1)}.`),
  ].join(' ');
  return {
    ok: true,
    spec,
    explanation,
    planner: 'deterministic',
    attempts: 1,
    usage: null,
    choices,
    schedule: null,
    confidence,
  };
}

/**
 * The index's matched terms in words: stems as they are, a synonym group (`~request`, reached by
 * "post") as "a word for “request”" unless the word itself matched too.
 */
function matchedWords(terms: readonly string[]): string {
  const plain = [...new Set(terms.filter((t) => !t.startsWith('~')))];
  const groups = [...new Set(terms.filter((t) => t.startsWith('~')).map((t) => t.slice(1)))].filter(
    (head) => !plain.includes(head),
  );
  return [...plain.map((t) => `“${t}”`), ...groups.map((head) => `a word for “${head}”`)].join(', ');
}

/** The plan step fields of a time clause (CONTRACT: `type: "sleep"` / `type: "wait"`). */
function timeStepSpec(time: TimeStep): Partial<StepSpec> {
  if (time.kind === 'wait') return { type: 'wait', event: time.event };
  return 'until' in time ? { type: 'sleep', until: time.until } : { type: 'sleep', durationMs: time.durationMs };
}

/** The best match of another capability: tools providing the same one are alternatives, not rivals. */
function runnerUp(ranked: ToolMatch[], best: ToolMatch): ToolMatch | undefined {
  const capability = best.tool.provides;
  return ranked.find((m) => m.tool !== best.tool && (capability === undefined || m.tool.provides !== capability));
}

/** Why a clause's match is not trusted, in the user's words. */
function doubt(clause: PlannedClause): string {
  const sure = clause.sure;
  const tool = clause.tool?.name ?? 'a tool';
  if (!sure) return `"${clause.text}"`;
  if (sure.coverage < sure.separation)
    return `"${clause.text}" matched ${tool}, which has no use for ${sure.unexplained.map((w) => `"${w}"`).join(', ')}`;
  return `"${clause.text}" matches ${tool} and other tools about equally`;
}

/** The words that say what to do: names given to things ("key answer") are not tool words. */
function queryText(raw: string, entities: Entities): string {
  const names = new Set(entities.names.map((n) => n.toLowerCase()));
  return raw
    .replace(/\blook(?:s|ed|ing)?\s+up\b/gi, 'lookup') // "look" alone is too common to mean reading
    .split(/\s+/)
    .filter((w) => !names.has(w.toLowerCase()))
    .join(' ');
}

function takesUrl(tool: ToolCatalogueEntry): boolean {
  const props = tool.inputSchema.properties;
  return (
    typeof props === 'object' && props !== null && Object.keys(props).some((k) => /^(url|uri|href|endpoint)$/i.test(k))
  );
}

/** Extra query words from what a clause contains: a URL suggests a request, a duration a wait. */
function cueTerms(entities: Entities): string[] {
  const cues: string[] = [];
  if (entities.urls.length > 0) cues.push('url');
  if (entities.durationsMs.length > 0 && entities.dateTimes.length === 0) cues.push('wait');
  return cues;
}

function chooseProvider(
  matched: ToolCatalogueEntry,
  tools: ToolCatalogueEntry[],
  options: { hints?: PlannerHints; seed: number },
  choices: ProviderChoice[],
): ToolCatalogueEntry {
  const capability = matched.provides;
  if (!capability) return matched;
  const candidates = tools.filter((t) => t.provides === capability);
  if (candidates.length < 2) return matched;
  const hinted = options.hints?.preferred.find((p) => p.capability === capability);
  const hintedTool = hinted && candidates.find((t) => t.name === hinted.tool);
  if (hinted && hintedTool) {
    choices.push({ capability, tool: hintedTool.name, reason: hinted.reason });
    return hintedTool;
  }
  const choice = chooseArm(
    capability,
    candidates.map((t) => ({
      tool: t.name,
      runs: t.stats?.calls ?? 0,
      successes: (t.stats?.calls ?? 0) - (t.stats?.failures ?? 0),
    })),
    { seed: options.seed },
  );
  choices.push({ capability, tool: choice.tool, reason: choice.reason });
  return candidates.find((t) => t.name === choice.tool) ?? matched;
}

function isUnreliable(tool: ToolCatalogueEntry, hints: PlannerHints | undefined): boolean {
  if (hints?.unreliable.some((u) => u.subject === tool.name)) return true;
  const stats = tool.stats;
  return !!stats && stats.calls >= 10 && (stats.calls - stats.failures) / stats.calls < UNRELIABLE_RATE;
}

function idFor(toolName: string): string {
  const last = toolName.split('.').pop() ?? toolName;
  const id = last.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return /^[A-Za-z]/.test(id) ? id : `step-${id}`;
}

function uniqueId(base: string, used: Set<string>): string {
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  return id;
}

function planName(request: string): string {
  const words = request
    .toLowerCase()
    .replace(/https?:\/\/\S+/g, ' ')
    .match(/[a-z0-9]+/g);
  return (words ?? ['draft']).slice(0, 6).join('-').slice(0, 60) || 'draft';
}
