import type { JsonSchema } from '@weft/engine';
import type { ToolCatalogueEntry } from '../catalogue.ts';
import type { Entities } from './entities.ts';

/** An earlier step whose output this step may consume. */
export interface UpstreamStep {
  id: string;
  tool: ToolCatalogueEntry | null;
  /** For an approval: the steps whose results pass through it to the steps after it. */
  via?: UpstreamStep[];
}

/**
 * The steps whose outputs the next step can use: approvals and waits (tools whose only input is a
 * duration) produce nothing to work on, so the results from before them pass through.
 */
export function dataSources(frontier: UpstreamStep[]): UpstreamStep[] {
  return frontier.flatMap((s) => (s.via ? dataSources(s.via) : [s]));
}

/** A tool that only waits: every input property is a duration. */
export function isWait(tool: ToolCatalogueEntry): boolean {
  const names = Object.keys(properties(tool.inputSchema));
  return names.length > 0 && names.every((n) => /(^ms$|Ms$|millis|seconds?$|minutes?$)/i.test(n));
}

export interface InputContext {
  entities: Entities;
  /** The clause as the user wrote it (quotes and URLs restored). */
  text: string;
  upstream: UpstreamStep[];
  /** The clause points at an earlier result ("it", "the response", "them"...). */
  anaphora: boolean;
}

export interface BuiltInput {
  input: Record<string, unknown>;
  /** Required properties the request did not give: they read `{{ input.<name> }}` at run time. */
  fromExecutionInput: string[];
  /** Upstream step ids the input references. */
  references: string[];
}

export const ANAPHORA =
  /\b(it|them|they|this|that|those|these|the (?:result|results|response|output|body|data|answer|text|events?|slots?|list|page|json|payload|summary|value)s?)\b/i;
export function hasAnaphora(text: string): boolean {
  return ANAPHORA.test(text);
}

// Output properties that usually carry "the result", in order of preference.
const RESULT_FIELDS = ['body', 'text', 'result', 'data', 'value', 'output', 'events', 'slot', 'items', 'content'];

/** `{{ steps.<id>.output.<field> }}` for the field that most likely is the step's result. */
export function outputReference(step: UpstreamStep): string {
  const props = Object.keys(properties(step.tool?.outputSchema));
  const field = RESULT_FIELDS.find((f) => props.includes(f)) ?? (props.length === 1 ? props[0] : undefined);
  return field ? `{{ steps.${step.id}.output.${field} }}` : `{{ steps.${step.id}.output }}`;
}

function properties(schema: JsonSchema | undefined): Record<string, JsonSchema> {
  const props = schema?.properties;
  return typeof props === 'object' && props !== null ? (props as Record<string, JsonSchema>) : {};
}

function types(schema: JsonSchema): string[] {
  const t = schema.type;
  return Array.isArray(t) ? t.map(String) : typeof t === 'string' ? [t] : [];
}

const URL_NAME = /^(url|uri|href|link|endpoint|address)$/i;
const DATE_NAME =
  /^(start|end|from|to|since|until|at|when|date|time|after|before|startsAt|endsAt|startTime|endTime|timeMin|timeMax)$/i;
const EMAIL_NAME = /(email|recipient|attendee)s?$/i;
const COUNT_NAME = /^(failTimes|times|count|limit|max|n|retries|attempts)$/i;
const FIELDS_NAME = /^(paths|fields|keys|properties|pick|select|columns)$/i;
const LIST_NAME = /^(objects|items|inputs|sources|values|documents|list)$/i;
const DATA_NAME = /^(value|data|object|input|source|json|payload|body|events|content|vars|variables|context)$/i;
const PROMPT_NAME = /^(prompt|instruction)s?$/i;
const TEXT_NAME = /^(message|text|prompt|template|title|summary|subject|query|description|note|instruction|name)s?$/i;

/**
 * Fills a tool's input from what the clause says, guided by the input schema's property names and
 * types. Optional properties are set only from something the user wrote; required ones fall back
 * to a reference to the upstream result, then to the execution's input.
 */
export function buildInput(tool: ToolCatalogueEntry, ctx: InputContext): BuiltInput {
  const e = {
    ...ctx.entities,
    urls: [...ctx.entities.urls],
    quoted: [...ctx.entities.quoted],
    names: [...ctx.entities.names],
    dateTimes: [...ctx.entities.dateTimes],
    numbers: [...ctx.entities.numbers],
  };
  const props = properties(tool.inputSchema);
  const required = new Set(Array.isArray(tool.inputSchema.required) ? tool.inputSchema.required.map(String) : []);
  const input: Record<string, unknown> = {};
  const fromExecutionInput: string[] = [];
  const references = new Set<string>();
  const upstreamRef = (): string | undefined => {
    const last = ctx.upstream[ctx.upstream.length - 1];
    if (!last) return undefined;
    references.add(last.id);
    return outputReference(last);
  };
  // Required properties first, so they get the clause's entities before optional ones do.
  const names = Object.keys(props).sort((a, b) => Number(required.has(b)) - Number(required.has(a)));
  for (const name of names) {
    const schema = props[name] ?? {};
    const isRequired = required.has(name);
    const t = types(schema);
    const numeric = t.includes('number') || t.includes('integer');
    let value: unknown;
    if (URL_NAME.test(name) || schema.format === 'uri') value = e.urls.shift();
    else if (name.toLowerCase() === 'method') {
      const allowed = Array.isArray(schema.enum) ? schema.enum.map(String) : null;
      if (e.httpMethod && (!allowed || allowed.includes(e.httpMethod))) value = e.httpMethod;
    } else if (numeric && /(^ms$|Ms$|millis)/.test(name)) value = e.durationsMs[0];
    else if (numeric && /seconds?$/i.test(name)) value = first(e.durationsMs, (ms) => ms / 1000);
    else if (numeric && /minutes?$/i.test(name)) value = first(e.durationsMs, (ms) => ms / 60_000);
    else if (numeric && /hours?$/i.test(name)) value = first(e.durationsMs, (ms) => ms / 3_600_000);
    else if (numeric && COUNT_NAME.test(name)) value = e.numbers.shift();
    else if (
      schema.format === 'date-time' ||
      schema.format === 'date' ||
      (DATE_NAME.test(name) && e.dateTimes.length > 0)
    )
      value = e.dateTimes.shift();
    else if (
      schema.format === 'email' ||
      EMAIL_NAME.test(name) ||
      (/^(to|cc|bcc|from)$/i.test(name) && e.emails.length > 0)
    )
      value = t.includes('array') ? (e.emails.length > 0 ? e.emails : undefined) : e.emails[0];
    else if (t.includes('array') && FIELDS_NAME.test(name))
      value = e.fieldList.length > 0 ? e.fieldList : e.quoted.length > 0 ? e.quoted.splice(0) : undefined;
    else if (t.includes('array') && LIST_NAME.test(name)) {
      if (ctx.upstream.length > 0) {
        for (const step of ctx.upstream) references.add(step.id);
        value = ctx.upstream.map(outputReference);
      }
    } else if (/^key$/i.test(name)) value = e.names.shift() ?? e.quoted.shift();
    else if (DATA_NAME.test(name)) {
      if (ctx.upstream.length > 0 && (ctx.anaphora || isRequired)) value = upstreamRef();
      else value = e.quoted.shift() ?? e.numbers.shift();
    } else if (PROMPT_NAME.test(name) && (t.length === 0 || t.includes('string'))) {
      // A model needs the instruction, not only the quoted text it is about.
      e.quoted.splice(0);
      value = describeFromClause(name, ctx, upstreamRef);
    } else if (TEXT_NAME.test(name) && (t.length === 0 || t.includes('string'))) {
      value = e.quoted.shift();
      if (value === undefined && /^(title|name|subject)$/i.test(name)) value = e.names.shift();
      if (value === undefined && isRequired) value = describeFromClause(name, ctx, upstreamRef);
    }
    if (value === undefined && isRequired && ctx.anaphora) value = sameNamedOutput(name, ctx.upstream, references);
    if (value === undefined && isRequired) {
      value = numeric || t.includes('string') || t.length === 0 ? `{{ input.${name} }}` : undefined;
      if (value !== undefined) fromExecutionInput.push(name);
    }
    if (value !== undefined) input[name] = value;
  }
  // A tool that takes anything (core.echo): pass what the clause has.
  if (names.length === 0 && tool.inputSchema.additionalProperties !== false) {
    const ref = ctx.anaphora ? upstreamRef() : undefined;
    input.message = ref ?? e.quoted.shift() ?? ctx.text;
  }
  return { input, fromExecutionInput, references: [...references] };
}

/** "book a meeting in it": an upstream output with a property of the same name (`slot.start` for `start`). */
function sameNamedOutput(name: string, upstream: UpstreamStep[], references: Set<string>): string | undefined {
  for (const step of [...upstream].reverse()) {
    const path = findPath(step.tool?.outputSchema, name, 3);
    if (path) {
      references.add(step.id);
      return `{{ steps.${step.id}.output.${path.join('.')} }}`;
    }
  }
  return undefined;
}

function findPath(schema: JsonSchema | undefined, name: string, depth: number): string[] | undefined {
  if (depth === 0) return undefined;
  const props = properties(schema);
  if (name in props) return [name];
  for (const [key, child] of Object.entries(props)) {
    const rest = findPath(child, name, depth - 1);
    if (rest) return [key, ...rest];
  }
  return undefined;
}

function first(values: number[], map: (v: number) => number): number | undefined {
  const v = values[0];
  return v === undefined ? undefined : map(v);
}

/** Text inputs with nothing quoted: the clause itself, with the upstream result when it refers to one. */
function describeFromClause(name: string, ctx: InputContext, upstreamRef: () => string | undefined): string {
  const wantsData =
    /^(prompt|template|text|query|instruction|content)s?$/i.test(name) && (ctx.anaphora || ctx.upstream.length > 0);
  const ref = wantsData ? upstreamRef() : undefined;
  const clause = ctx.text.charAt(0).toUpperCase() + ctx.text.slice(1);
  return ref ? `${clause}:\n\n${ref}` : clause;
}
