import type { PlanIssue } from '@weft/engine';
import type { ToolCatalogueEntry } from '../catalogue.ts';
import type { PlannerHints } from '../types.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const RULES = `You turn a user's request into a Weft workflow plan.
A plan is a list of steps. Each step calls one tool from the catalogue (type "tool") or waits for a
human decision (type "approval", with a message and tool null), or is one of:
- "sleep": waits durably (no worker is held) for durationMs, or until an ISO 8601 date-time. Use it for
  any wait longer than a few seconds.
- "wait": waits for an event named "event" sent to the workspace, optionally only one whose data has the
  fields of matchJson; timeoutMs bounds the wait. Its output is the event's data.
- "plan": runs another plan of the workspace by name ("plan"); its output is that run's output.
- "map": runs "tool" (or "plan") once per item of the array that the template "over" yields; the input
  may use "{{ item }}" and "{{ index }}"; concurrency bounds items in flight.
Any step may have "if": an expression over input, steps and context (e.g. "steps.check.output.total > 100");
false skips the step and the steps that depend only on it. continueOnError: true lets the run go on when
that step fails. Unused fields are null.
If the request says when the plan should run on a rhythm ("every Monday at 9"), put that in "schedule"
(a cron expression and an IANA time zone) and leave it out of the steps; otherwise schedule is null.
Rules:
- Use only tools listed in the catalogue, by exact name, with an input that matches the tool's input schema.
- Step ids are unique and match ^[A-Za-z][A-Za-z0-9_-]*$.
- A string inside an input may reference "{{ input.<path> }}" (the execution's input),
  "{{ steps.<id>.output.<path> }}" (an earlier step's output) or "{{ context.<key> }}" (shared context).
  A reference makes the step wait for the referenced step; "after" adds ordering without data.
- Steps with no dependency between them run in parallel; do not chain steps that are independent.
- Values the request does not give and that the user must supply at run time: use "{{ input.<name> }}".
- If no tool of the catalogue can do what is asked, answer with no steps and say why in the explanation.
- Answer only with the JSON object of the response format; inputJson is the input as JSON text.`;

function describeTool(tool: ToolCatalogueEntry): string {
  const lines = [`- ${tool.name}: ${tool.description}`, `  input schema: ${JSON.stringify(tool.inputSchema)}`];
  if (tool.outputSchema) lines.push(`  output schema: ${JSON.stringify(tool.outputSchema)}`);
  if (tool.provides) lines.push(`  provides capability: ${tool.provides}`);
  const stats = tool.stats;
  if (stats && stats.calls > 0) {
    const rate = Math.round((100 * (stats.calls - stats.failures)) / stats.calls);
    const p95 = stats.p95Ms === null ? '' : `, p95 ${Math.round(stats.p95Ms)} ms`;
    lines.push(`  record: ${rate}% success over ${stats.calls} calls${p95}`);
  }
  return lines.join('\n');
}

function describeHints(hints: PlannerHints | undefined): string {
  if (!hints) return '';
  const parts: string[] = [];
  if (hints.preferred.length > 0)
    parts.push(
      `Preferred providers:\n${hints.preferred.map((p) => `- ${p.capability}: use ${p.tool} (${p.reason})`).join('\n')}`,
    );
  if (hints.unreliable.length > 0)
    parts.push(
      `Often failing (consider retries or an approval before them):\n${hints.unreliable.map((u) => `- ${u.subject}: ${u.reason}`).join('\n')}`,
    );
  if (hints.sequences.length > 0)
    parts.push(
      `Sequences seen often in past runs:\n${hints.sequences.map((s) => `- ${s.tools.join(' → ')} (${s.count} times)`).join('\n')}`,
    );
  return parts.length > 0 ? `\n\nWhat past runs in this workspace teach:\n${parts.join('\n')}` : '';
}

/** The first conversation: rules, the workspace's catalogue, the learning engine's hints, the request. */
export function initialMessages(request: string, tools: ToolCatalogueEntry[], hints?: PlannerHints): ChatMessage[] {
  const catalogue = tools.map(describeTool).join('\n');
  return [
    { role: 'system', content: `${RULES}\n\nTool catalogue:\n${catalogue}${describeHints(hints)}` },
    { role: 'user', content: request },
  ];
}

/** The model's rejected answer and what was wrong with it, for the next attempt. */
export function repairMessages(answer: string, issues: PlanIssue[]): ChatMessage[] {
  const list = issues
    .map((i) => `- ${i.path.length > 0 ? i.path.join('.') : '(plan)'}: ${i.message} [${i.code}]`)
    .join('\n');
  return [
    { role: 'assistant', content: answer },
    {
      role: 'user',
      content: `That plan failed validation:\n${list}\nAnswer again with the whole corrected plan.`,
    },
  ];
}
