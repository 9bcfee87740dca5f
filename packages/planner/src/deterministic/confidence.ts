import type { ToolCatalogueEntry } from '../catalogue.ts';
import { ANAPHORA } from './inputs.ts';
import { isWeak, processTerm, type ToolMatch } from './tool-index.ts';

/**
 * How sure the offline planner is that a clause means the tool it matched, from 0 to 1:
 *
 *   confidence = coverage² × separation
 *
 * - coverage: the share of the clause's content words the plan accounts for. A word is accounted
 *   for when it matched the tool (name, description or a thesaurus synonym), or when the words
 *   become the tool's input (a model's prompt; see takesFreeText). Values (quotes, URLs, numbers,
 *   dates, durations, e-mails, names after "key"/"called"), references to earlier results ("the
 *   response"), weak words ("get", "show") and linking words ("called", "until") are not content
 *   words. "Cancel my gym membership" matched core.sleep on "cancel" alone (its description says
 *   it honours cancel): "gym" and "membership" would be dropped on the floor, coverage 1/3.
 *   Squared, because each word the plan ignores is a word the user meant something by: a clause
 *   whose words are half unused ("set an alarm") scores at most 0.25.
 * - separation: 1 − (runner-up score / best score)², the runner-up being the best tool of another
 *   capability. When two tools match on the same words ("put a meeting on the calendar" scores
 *   list_events and create_event alike) the ranking chose, not the request: separation near 0.
 *   Squared ratio, so a clear lead (runner-up at half the score) costs only a quarter.
 *
 * A plan is as trustworthy as its weakest clause: the plan's confidence is the minimum over its
 * tool clauses, and below CONFIDENCE_THRESHOLD the planner answers NEEDS_LLM instead of guessing.
 * 0.4 was chosen on requests.json only, never on requests.heldout.json: every right plan there
 * scores ≥ 0.44 but one (a "call" that is a meeting, not an HTTP call, at 0.16), and every
 * everyday request that merely uses a tool word ("fetch my kids from school") scores ≤ 0.39.
 */
export const CONFIDENCE_THRESHOLD = 0.4;

// Words that link values to a clause ("called standup", "from X until Y") without saying what to do.
const LINKING = new Set(
  'called named titled saying between until till ending starting up back out over about later now me something'.split(
    ' ',
  ),
);
const UNIT =
  /^(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|times|once|twice|thrice|one|two|three|four|five|six|seven|eight|nine|ten)$/i;

export interface ClauseConfidence {
  confidence: number;
  coverage: number;
  separation: number;
  /** Content words the tool does not account for. */
  unexplained: string[];
}

/** Content words of a clause: what remains once values, stop words and linking words are set aside. */
export function contentWords(clause: string, names: readonly string[]): string[] {
  const skip = new Set(names.map((n) => n.toLowerCase()));
  return (
    clause
      .replace(/⟦\d+⟧/g, ' ')
      // "the response", "them": a reference to an earlier result is a value, not a word to match.
      .replace(new RegExp(ANAPHORA.source, 'gi'), ' ')
      .split(/[\s,;:!?()]+/)
      .map((w) => w.replace(/^['"“”]+|['"“”.]+$/g, ''))
      .filter(
        (w) =>
          w.length > 0 &&
          !/\d|@/.test(w) &&
          !UNIT.test(w) &&
          !skip.has(w.toLowerCase()) &&
          !LINKING.has(w.toLowerCase()) &&
          !isWeak(w) &&
          processTerm(w) !== null,
      )
  );
}

export function clauseConfidence(
  words: readonly string[],
  best: ToolMatch,
  runnerUp: ToolMatch | undefined,
): ClauseConfidence {
  const matched = new Set(best.terms);
  const absorbs = takesFreeText(best.tool, best.nameTerms);
  const unexplained = absorbs ? [] : words.filter((w) => !(processTerm(w) ?? []).some((t) => matched.has(t)));
  const coverage = words.length === 0 ? 1 : (words.length - unexplained.length) / words.length;
  const ratio = runnerUp ? Math.min(1, runnerUp.score / best.score) : 0;
  const separation = 1 - ratio * ratio;
  return { confidence: coverage * coverage * separation, coverage, separation, unexplained };
}

/**
 * Whether the clause's words become the tool's input. A model's prompt is an instruction in words,
 * so they always do. A tool that takes anything (core.echo passes the clause along) would swallow
 * any request, so only when the user called it by its own name ("echo hello"), not by a synonym
 * ("display the dashboard on the big screen").
 */
function takesFreeText(tool: ToolCatalogueEntry, nameTerms: readonly string[]): boolean {
  const props = tool.inputSchema.properties;
  const names = typeof props === 'object' && props !== null ? Object.keys(props) : [];
  if (names.some((k) => /^(prompt|instruction)s?$/i.test(k))) return true;
  const takesAnything = names.length === 0 && tool.inputSchema.additionalProperties !== false;
  return takesAnything && nameTerms.some((t) => !t.startsWith('~'));
}
