import { join } from 'node:path';
import { REPO_ROOT } from '@weft/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ToolCatalogueEntry } from '../catalogue.ts';
import { draftPlan } from '../draft-plan.ts';
import { catalogueValidator, loadEvalFixtures } from '../eval/evaluate.ts';
import type { DraftPlanResult } from '../types.ts';
import { splitRequest } from './clauses.ts';
import { extractEntities } from './entities.ts';

let tools: ToolCatalogueEntry[] = [];
beforeAll(async () => {
  tools = (await loadEvalFixtures(join(REPO_ROOT, 'test/fixtures/planner'))).tools;
});

async function plan(request: string, catalogue = tools) {
  const result = await draftPlan({ request, tools: catalogue, validate: catalogueValidator(catalogue) });
  return result;
}

function ok(result: DraftPlanResult) {
  if (!result.ok) throw new Error(`expected a plan, got ${result.error.code}: ${result.error.message}`);
  return result;
}

describe('deterministic planner', () => {
  it('turns "wait 5 seconds" into core.sleep with ms 5000, and says it planned without an LLM', async () => {
    const result = ok(await plan('wait 5 seconds'));
    expect(result.planner).toBe('deterministic');
    expect(result.usage).toBeNull();
    expect(result.spec.steps).toEqual([{ id: 'sleep', tool: 'core.sleep', input: { ms: 5000 } }]);
    expect(result.explanation).toContain('without an LLM');
  });

  it('says, per step, which words of the request chose its tool', async () => {
    const result = ok(await plan('POST to https://hooks.example.com/deploy, then echo "deployed"'));
    expect(result.spec.steps.map((s) => s.tool)).toEqual(['http.request', 'core.echo']);
    expect(result.explanation).toContain('Echo uses core.echo: “echo” matched it.');
    // "POST" reaches http.request as a word of its group, and is said so.
    expect(result.explanation).toContain('Request uses http.request: “post”, a word for “request” matched it.');
  });

  it('chains "then" clauses, with URLs, HTTP methods and quoted strings in the inputs', async () => {
    const result = ok(await plan('POST to https://hooks.example.com/deploy, wait 30 seconds, then echo "deployed"'));
    expect(result.spec.steps).toEqual([
      { id: 'request', tool: 'http.request', input: { url: 'https://hooks.example.com/deploy', method: 'POST' } },
      { id: 'sleep', tool: 'core.sleep', input: { ms: 30_000 }, after: ['request'] },
      { id: 'echo', tool: 'core.echo', input: { message: 'deployed' }, after: ['sleep'] },
    ]);
  });

  it('runs clauses side by side when asked to, and feeds both results to the next step', async () => {
    const result = ok(
      await plan('Fetch https://a.example.com/x.json and https://b.example.com/y.json in parallel, then merge them'),
    );
    expect(result.spec.steps).toEqual([
      { id: 'request', tool: 'http.request', input: { url: 'https://a.example.com/x.json' } },
      { id: 'request-2', tool: 'http.request', input: { url: 'https://b.example.com/y.json' } },
      {
        id: 'merge',
        tool: 'transform.merge',
        input: { objects: ['{{ steps.request.output.body }}', '{{ steps.request-2.output.body }}'] },
      },
    ]);
  });

  it('passes an earlier result on when the request refers to it', async () => {
    const result = ok(await plan('Download https://example.com/report.json and summarise it'));
    const [fetch, summary] = result.spec.steps;
    expect(fetch).toEqual({ id: 'request', tool: 'http.request', input: { url: 'https://example.com/report.json' } });
    expect(summary?.tool).toBe('llm.complete');
    expect(summary?.input?.prompt).toBe('Summarise it:\n\n{{ steps.request.output.body }}');
  });

  it('fills a field from a same-named field of the earlier output ("book a meeting in it")', async () => {
    const result = ok(
      await plan(
        'Find a free 1 hour slot between 2026-12-02T08:00:00Z and 2026-12-02T18:00:00Z, then book a meeting called planning in it',
      ),
    );
    expect(result.spec.steps).toEqual([
      {
        id: 'find-free-slot',
        tool: 'calendar.find_free_slot',
        input: { durationMinutes: 60, from: '2026-12-02T08:00:00Z', to: '2026-12-02T18:00:00Z' },
      },
      {
        id: 'create-event',
        tool: 'calendar.create_event',
        input: {
          title: 'planning',
          start: '{{ steps.find-free-slot.output.slot.start }}',
          end: '{{ steps.find-free-slot.output.slot.end }}',
        },
      },
    ]);
  });

  it('adds an approval gate, and the step after it still gets the data from before the gate', async () => {
    const result = ok(
      await plan(
        'Get https://crm.example.com/leads, ask an admin for approval, then POST them to https://mail.example.com/campaign',
      ),
    );
    expect(result.spec.steps).toEqual([
      { id: 'request', tool: 'http.request', input: { url: 'https://crm.example.com/leads' } },
      {
        id: 'approval',
        type: 'approval',
        message: 'Ask an admin for approval',
        approvers: ['ADMIN'],
        after: ['request'],
      },
      {
        id: 'request-2',
        tool: 'http.request',
        input: { url: 'https://mail.example.com/campaign', method: 'POST', body: '{{ steps.request.output.body }}' },
        after: ['approval'],
      },
    ]);
  });

  it('keeps a field list together and fetches a URL for a tool that takes none', async () => {
    const result = ok(await plan('Select only id and status from https://api.example.com/jobs/42'));
    expect(result.spec.steps).toEqual([
      { id: 'request', tool: 'http.request', input: { url: 'https://api.example.com/jobs/42' } },
      {
        id: 'pick',
        tool: 'transform.pick',
        input: { value: '{{ steps.request.output.body }}', paths: ['id', 'status'] },
      },
    ]);
  });

  it('gives a model the whole instruction, and looks through a wait for the data before it', async () => {
    const translate = ok(await plan('Translate "Guten Morgen" into English'));
    expect(translate.spec.steps[0]?.input).toEqual({ prompt: 'Translate "Guten Morgen" into English' });
    const later = ok(
      await plan(
        'Get the upcoming events from 2026-12-01T00:00:00Z to 2026-12-31T00:00:00Z, then wait 2 seconds, then print them',
      ),
    );
    expect(later.spec.steps[2]).toEqual({
      id: 'echo',
      tool: 'core.echo',
      input: { message: '{{ steps.list-events.output.events }}' },
      after: ['sleep'],
    });
  });

  it('asks the execution input for required values the request does not give, and says so', async () => {
    const result = ok(await plan('Create a meeting called sync'));
    expect(result.spec.steps[0]?.input).toEqual({ title: 'sync', start: '{{ input.start }}', end: '{{ input.end }}' });
    expect(result.explanation).toContain('reads input.start, input.end');
  });

  it('plans with a catalogue that lists a tool twice (two providers of one name)', async () => {
    const sleep = tools.find((t) => t.name === 'core.sleep');
    if (!sleep) throw new Error('fixture lacks core.sleep');
    const result = ok(await plan('wait 2 seconds', [...tools, { ...sleep, description: 'A second sleep.' }]));
    expect(result.spec.steps).toEqual([{ id: 'sleep', tool: 'core.sleep', input: { ms: 2000 } }]);
  });

  it('says plainly that a request with no matching tool needs an LLM', async () => {
    const result = await plan('Book me a flight to Paris');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('NEEDS_LLM');
    expect(result.error.message).toContain('"Book me a flight to Paris"');
    expect(result.error.message).toContain('OPENAI_API_KEY');
  });

  it('refuses a request when one of its actions has no tool, instead of dropping it', async () => {
    const result = await plan('Fetch https://metrics.example.com/daily and email it to the team');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain('"email it to the team"');
  });

  it('adds retries to a step whose tool often fails here', async () => {
    const flaky = tools.map((t) =>
      t.name === 'http.request'
        ? { ...t, stats: { tool: t.name, calls: 20, failures: 8, retries: 3, p50Ms: 80, p95Ms: 300 } }
        : t,
    );
    const result = ok(await plan('fetch https://api.example.com/orders', flaky));
    expect(result.spec.steps[0]?.retry).toEqual({ maxAttempts: 3, backoff: 'exponential' });
    expect(result.explanation).toContain('often fails');
  });

  it('chooses among providers of one capability by their record, with the reason', async () => {
    const mail = (name: string, calls: number, failures: number): ToolCatalogueEntry => ({
      name,
      description: 'Sends an email message.',
      provides: 'email.send',
      inputSchema: { type: 'object', required: ['to'], properties: { to: { type: 'string', format: 'email' } } },
      stats: { tool: name, calls, failures, retries: 0, p50Ms: null, p95Ms: null },
    });
    const catalogue = [mail('mail-a.send', 20, 8), mail('mail-b.send', 40, 1)];
    const result = ok(await plan('email bob@example.com', catalogue));
    expect(result.spec.steps).toEqual([{ id: 'send', tool: 'mail-b.send', input: { to: 'bob@example.com' } }]);
    expect(result.choices[0]?.reason).toBe(
      'chose mail-b.send for email.send: 98% success over 40 runs vs 60% success over 20 runs for mail-a.send (UCB)',
    );
  });
});

describe('request splitting and entities', () => {
  it('does not split inside quotes or URLs', () => {
    const split = splitRequest('echo "first, then second" and fetch https://x.example.com/a,b?then=1');
    expect(split.clauses.map((c) => c.text)).toEqual(['echo ⟦0⟧', 'fetch ⟦1⟧']);
    expect(split.spans).toEqual([
      { kind: 'quoted', value: 'first, then second' },
      { kind: 'url', value: 'https://x.example.com/a,b?then=1' },
    ]);
  });

  it('splits on then, semicolons, full stops, "after that", commas and "and", but not on "next"', () => {
    const split = splitRequest('list events for next week; wait 2 s. Echo it, then fetch a after that fetch b and c');
    expect(split.clauses.map((c) => [c.joiner, c.text])).toEqual([
      ['start', 'list events for next week'],
      ['then', 'wait 2 s'],
      ['then', 'Echo it'],
      ['then', 'fetch a'],
      ['then', 'fetch b'],
      ['and', 'c'],
    ]);
  });

  it('reads durations, dates, numbers, emails and names', () => {
    const e = extractEntities(
      'wait 1.5 hours and 2min, fail twice at 10 am on 2026-12-01 for ann@example.com as key region',
      [],
    );
    expect(e.durationsMs).toEqual([5_400_000, 120_000]);
    expect(e.dateTimes).toEqual(['2026-12-01']);
    expect(e.numbers).toEqual([10, 2]);
    expect(e.emails).toEqual(['ann@example.com']);
    expect(e.names).toEqual(['region']);
  });
});
