/**
 * The README's examples run as written against a real API (HTTP, PostgreSQL, one in-process
 * worker): the weekly-invoice schedule with its GraphQL lines, and the JSON plan of each step kind
 * (sub-plans and map, if / fallback / continueOnError with idempotencyKey, sleep, wait), checked
 * against what the README says next to them. The text is read from README.md at run time, so an
 * edit that breaks an example fails here.
 */
import { readFileSync } from 'node:fs';
import {
  type HttpReceiver,
  REPO_ROOT,
  signUpUser,
  startHttpReceiver,
  startTestApi,
  type TestApi,
  TestClient,
} from '@weft/test-utils';
import { type ArgumentNode, type ObjectValueNode, parse, valueFromASTUntyped } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const README = readFileSync(`${REPO_ROOT}/README.md`, 'utf8');

/** The fenced blocks of `lang` in `text`, also those indented inside a list item. */
function fencedBlocks(text: string, lang: string): string[] {
  const fence = new RegExp(`^( *)\`\`\`${lang}\\n([\\s\\S]*?)^\\1\`\`\``, 'gm');
  return [...text.matchAll(fence)].map((m) => m[2] ?? '');
}

/** The README between two headings (the first line starting with each). */
function section(from: string, to: string): string {
  const start = README.indexOf(`\n${from}`);
  const end = README.indexOf(`\n${to}`, start + 1);
  if (start < 0 || end < 0) throw new Error(`README has no section "${from}" … "${to}"`);
  return README.slice(start, end);
}

/** The one block among `blocks` that contains `marker`. */
function blockWith(blocks: string[], marker: string): string {
  const found = blocks.filter((b) => b.includes(marker));
  if (found.length !== 1) throw new Error(`expected one README block with ${marker}, found ${found.length}`);
  return found[0] as string;
}

/** The inline code right after `lead` in `text`, parsed as JSON (a value the README states). */
function statedJson(text: string, lead: string): unknown {
  const at = text.indexOf(lead);
  const match = at < 0 ? null : /^\s*`([^`]+)`/.exec(text.slice(at + lead.length));
  if (match === null) throw new Error(`README states no value after "${lead}"`);
  return JSON.parse(match[1] as string);
}

/** Each operation of a GraphQL block, as its own source text (the README puts several in one block). */
function operations(block: string): string[] {
  return parse(block).definitions.map((d) => {
    if (d.loc === undefined) throw new Error('no source location');
    return block.slice(d.loc.start, d.loc.end);
  });
}

/** Replaces the README's `<...>` placeholders; one left over is a mistake in the test or the README. */
function fill(text: string, values: Record<string, string>): string {
  let out = text;
  for (const [name, value] of Object.entries(values)) out = out.replaceAll(`<${name}>`, value);
  const left = /"<[^">]+>"/.exec(out);
  if (left !== null) throw new Error(`placeholder ${left[0]} not filled in: ${out}`);
  return out;
}

/** The literal value of argument `input`'s field `field` in an operation (e.g. a schedule's input). */
function inputFieldOf(operation: string, field: string): unknown {
  const def = parse(operation).definitions[0];
  if (def?.kind !== 'OperationDefinition') throw new Error('not an operation');
  const top = def.selectionSet.selections[0];
  if (top?.kind !== 'Field') throw new Error('no field');
  const arg = top.arguments?.find((a: ArgumentNode) => a.name.value === 'input');
  const value = (arg?.value as ObjectValueNode | undefined)?.fields.find((f) => f.name.value === field)?.value;
  if (value === undefined) throw new Error(`no input.${field} in ${operation}`);
  return valueFromASTUntyped(value);
}

let api: TestApi;
let token: string;
let workspaceId: string;
let billing: HttpReceiver;
let mail: HttpReceiver;

type Data = Record<string, unknown>;

/** A GraphQL request over HTTP as a reader would send it; any error fails the test. */
async function graphql<T = Data>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors !== undefined || body.data === undefined) {
    throw new Error(`${query}\n→ ${JSON.stringify(body.errors ?? body)}`);
  }
  return body.data;
}

interface Step {
  stepId: string;
  status: string;
  output: unknown;
  fellBack: boolean;
}
interface Run {
  id: string;
  status: string;
  output: unknown;
  steps: Step[];
  children: { trigger: string }[];
}

const RUN = `query Run($id: ID!) { node(id: $id) { ... on Execution {
  id status output steps { stepId status output fellBack } children { trigger } } } }`;

async function readRun(id: string): Promise<Run> {
  return (await graphql<{ node: Run }>(RUN, { id })).node;
}

/** Polls a run until `done` says so (30 s at most). */
async function runUntil(id: string, done: (run: Run) => boolean, what: string): Promise<Run> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = await readRun(id);
    if (done(run)) return run;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const finished = (run: Run) => !['PENDING', 'RUNNING', 'PAUSED'].includes(run.status);
const step = (run: Run, id: string) => run.steps.find((s) => s.stepId === id);

async function createPlan(spec: { name?: string }, name = spec.name ?? 'example'): Promise<string> {
  const data = await graphql<{ createPlan: { plan: { id: string } | null; userErrors: unknown[] } }>(
    `mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { id } userErrors { code field message } } }`,
    { input: { workspaceId, name, spec } },
  );
  expect(data.createPlan.userErrors).toEqual([]);
  return data.createPlan.plan?.id ?? '';
}

async function start(planId: string, input: unknown, mode = 'LIVE'): Promise<string> {
  const data = await graphql<{ startExecution: { execution: { id: string } | null; userErrors: unknown[] } }>(
    `mutation($input: StartExecutionInput!) { startExecution(input: $input) {
      execution { id } userErrors { code field message } } }`,
    { input: { planId, input, mode } },
  );
  expect(data.startExecution.userErrors).toEqual([]);
  return data.startExecution.execution?.id ?? '';
}

const OPEN_INVOICES = [
  { id: 'INV-7', customer: 'Ada', amount: 120 },
  { id: 'INV-9', customer: 'Bob', amount: 80.5 },
];
const BILLING_TOKEN = 'billing-token-3f1c';

beforeAll(async () => {
  // Both stand-ins listen on 127.0.0.2, the loopback address EGRESS_ALLOW admits.
  billing = await startHttpReceiver(
    (request, res) => {
      const ok =
        request.path === '/invoices?status=open' && request.headers.authorization === `Bearer ${BILLING_TOKEN}`;
      res
        .writeHead(ok ? 200 : 404, { 'content-type': 'application/json' })
        .end(JSON.stringify(ok ? OPEN_INVOICES : {}));
    },
    { host: '127.0.0.2' },
  );
  mail = await startHttpReceiver(undefined, { host: '127.0.0.2' });
  api = await startTestApi({
    env: {
      WORKERS: '2',
      EGRESS_ALLOW: '127.0.0.2',
      RATE_LIMIT_PER_MINUTE: '1000000',
      WORKSPACE_RATE_LIMIT_PER_MINUTE: '1000000',
    },
  });
  token = (await signUpUser(new TestClient(api.url), 'readme')).token;
  // The README's own line, so its `workspace(slug: "acme")` queries find this workspace.
  const using = blockWith(fencedBlocks(section('## Using the API', '## Observability'), 'graphql'), 'createWorkspace');
  const create = operations(using).find((op) => op.includes('createWorkspace(')) ?? '';
  const ws = await graphql<{ createWorkspace: { workspace: { id: string } } }>(create);
  workspaceId = ws.createWorkspace.workspace.id;
}, 60_000);

afterAll(async () => {
  await api?.close();
  await billing?.close();
  await mail?.close();
});

describe('the weekly-invoice example', () => {
  const block = blockWith(fencedBlocks(README, 'graphql'), 'weekly-invoices');
  const ops = operations(block);
  const named = (field: string) => {
    const op = ops.find((o) => o.includes(`${field}(`));
    if (op === undefined) throw new Error(`the example has no ${field}`);
    return op;
  };
  const ids: Record<string, string> = {};

  it('creates the plan, once the http plugin and the billing secret are set up as the note says', async () => {
    const note = README.slice(README.indexOf(block) + block.length).slice(0, 600);
    // The grants and secret the note below the example names, with the stand-ins' host in place
    // of the example's hosts (as the plan's URLs are rewritten below).
    const grants = [...note.matchAll(/`((?:http|secrets):[^`]+)`/g)].map((m) =>
      (m[1] as string).replace(/^http:(billing|mail)\.example\.com$/, 'http:127.0.0.2'),
    );
    expect(grants).toEqual(['http:127.0.0.2', 'http:127.0.0.2', 'secrets:billing']);
    const secret = /a secret named `([^`]+)`/.exec(note)?.[1];
    expect(secret).toBe('billing');

    const market = await graphql<{ marketplace: { edges: { node: { name: string; versions: { id: string }[] } }[] } }>(
      `query { marketplace(search: "http") { edges { node { name versions { id } } } } }`,
    );
    const pluginVersionId = market.marketplace.edges.find((e) => e.node.name === 'http')?.node.versions[0]?.id;
    const install = await graphql<{ installPlugin: { userErrors: unknown[] } }>(
      `mutation($input: InstallPluginInput!) { installPlugin(input: $input) { userErrors { code field message } } }`,
      { input: { workspaceId, pluginVersionId, grantedCapabilities: [...new Set(grants)] } },
    );
    expect(install.installPlugin.userErrors).toEqual([]);
    const set = await graphql<{ setSecret: { userErrors: unknown[] } }>(
      `mutation($input: SetSecretInput!) { setSecret(input: $input) { userErrors { code field message } } }`,
      { input: { workspaceId, name: secret, value: BILLING_TOKEN } },
    );
    expect(set.setSecret.userErrors).toEqual([]);

    // The only change to the example's text besides placeholders: its two https hosts become the
    // local stand-ins (scheme, host and port of the URL; paths and everything else as written).
    const createPlan = fill(named('createPlan'), { id: workspaceId })
      .replaceAll('https://billing.example.com/', `${billing.url}/`)
      .replaceAll('https://mail.example.com/', `${mail.url}/`);
    const created = await graphql<{ createPlan: { plan: { id: string }; userErrors: unknown[] } }>(createPlan);
    expect(created.createPlan.userErrors).toEqual([]);
    ids['plan id'] = created.createPlan.plan.id;
  });

  it('schedules it for next Monday 09:00 Berlin time', async () => {
    const expected = nextBerlinMondayAtNine(new Date());
    const data = await graphql<{
      createSchedule: { schedule: { id: string; nextRunAt: string }; userErrors: unknown[] };
    }>(fill(named('createSchedule'), ids));
    expect(data.createSchedule.userErrors).toEqual([]);
    expect(new Date(data.createSchedule.schedule.nextRunAt).toISOString()).toBe(expected.toISOString());
    ids['schedule id'] = data.createSchedule.schedule.id;
  });

  it('started now with the schedule’s input, mails the open invoices', async () => {
    const input = inputFieldOf(named('createSchedule'), 'input');
    const run = await runUntil(await start(ids['plan id'] ?? '', input), finished, 'the invoice run');
    expect(run.status, JSON.stringify(run.steps)).toBe('SUCCEEDED');
    expect(billing.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([
      ['GET', '/invoices?status=open', `Bearer ${BILLING_TOKEN}`],
    ]);
    expect(mail.requests.map((r) => [r.method, r.path])).toEqual([['POST', '/send']]);
    expect(JSON.parse(mail.requests[0]?.body.toString('utf8') ?? '')).toEqual({
      to: 'finance@example.com',
      subject: 'Open invoices',
      invoices: OPEN_INVOICES,
    });
  });

  it('pauses, lists and deletes the schedule with the example’s lines', async () => {
    const paused = await graphql<{ updateSchedule: { schedule: unknown } }>(fill(named('updateSchedule'), ids));
    expect(paused.updateSchedule.schedule).toEqual({ paused: true, nextRunAt: null });

    const list = named('workspace');
    const listed = await graphql<{ workspace: { schedules: unknown[] } }>(fill(list, ids));
    expect(listed.workspace.schedules).toEqual([
      {
        id: ids['schedule id'],
        cron: '0 9 * * 1',
        timezone: 'Europe/Berlin',
        overlap: 'SKIP',
        paused: true,
        nextRunAt: null,
        lastRunAt: null,
        executions: { edges: [] },
      },
    ]);

    const deleted = await graphql<{ deleteSchedule: { schedule: { id: string } } }>(fill(named('deleteSchedule'), ids));
    expect(deleted.deleteSchedule.schedule).toEqual({ id: ids['schedule id'] });
    expect((await graphql<{ workspace: { schedules: unknown[] } }>(fill(list, ids))).workspace.schedules).toEqual([]);
  });
});

/**
 * The first Monday 09:00 in Europe/Berlin after `now`, found by reading whole UTC hours through
 * Intl (Berlin's offsets are whole hours), independently of the cron library the server uses.
 */
function nextBerlinMondayAtNine(now: Date): Date {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Berlin',
    weekday: 'short',
    hour: '2-digit',
    hourCycle: 'h23',
  });
  const hour = 3_600_000;
  const first = Math.floor(now.getTime() / hour + 1) * hour;
  for (let t = first; t <= first + 8 * 24 * hour; t += hour) {
    const parts = format.formatToParts(new Date(t));
    const part = (type: string) => parts.find((p) => p.type === type)?.value;
    if (part('weekday') === 'Mon' && part('hour') === '09') return new Date(t);
  }
  throw new Error('no Monday 09:00 in Berlin within 8 days');
}

describe('the step kinds’ examples', () => {
  const ids: Record<string, string> = {};
  const plans = section('## Plans and execution', '## Plans in git');
  const json = fencedBlocks(plans, 'json');
  const plan = (marker: string) => JSON.parse(blockWith(json, marker)) as { name?: string };

  it('sub-plans and map: quote-all gives the stated lines output, its children started by PARENT', async () => {
    await createPlan(plan('"name": "quote"'));
    const planId = await createPlan(plan('"name": "quote-all"'));
    const input = statedJson(plans, 'start `quote-all` with');
    const run = await runUntil(await start(planId, input), finished, 'quote-all');
    expect(run.status).toBe('SUCCEEDED');
    expect(step(run, 'lines')?.output).toEqual(statedJson(plans, '`steps.lines.output` is'));
    expect(run.children.length).toBeGreaterThan(0);
    expect(new Set(run.children.map((c) => c.trigger))).toEqual(new Set(['PARENT']));
  });

  it('if: refund with the stated input skips auto and ends with the stated output', async () => {
    const planId = await createPlan(plan('"name": "refund"'));
    const run = await runUntil(await start(planId, statedJson(plans, 'With input')), finished, 'refund');
    expect(run.status).toBe('SUCCEEDED');
    expect(step(run, 'auto')?.status).toBe('SKIPPED');
    expect(run.output).toEqual(statedJson(plans, 'the output is'));
  });

  it('fallback, continueOnError and idempotencyKey: the charge plan started twice with one key', async () => {
    const planId = await createPlan(plan('"name": "charge"'));
    const [startOp, readOp] = operations(blockWith(fencedBlocks(plans, 'graphql'), 'idempotencyKey'));
    type Started = { startExecution: { execution: { id: string }; userErrors: unknown[] } };
    const first = await graphql<Started>(fill(startOp ?? '', { 'plan id': planId }));
    const again = await graphql<Started>(fill(startOp ?? '', { 'plan id': planId }));
    expect(first.startExecution.userErrors).toEqual([]);
    expect(again.startExecution.execution.id).toBe(first.startExecution.execution.id);

    const id = first.startExecution.execution.id;
    await runUntil(id, finished, 'charge');
    const read = await graphql<{ node: { status: string; output: unknown; steps: unknown[] } }>(
      fill(readOp ?? '', { 'execution id': id }),
    );
    expect(read.node).toEqual({
      status: 'SUCCEEDED',
      output: { done: { paid: { invoice: 'A-17' }, crm: null } },
      steps: [
        { stepId: 'card', status: 'SUCCEEDED', fellBack: true },
        { stepId: 'enrich', status: 'FAILED', fellBack: false },
        { stepId: 'done', status: 'SUCCEEDED', fellBack: false },
      ],
    });
  });

  it('sleep: parked WAITING in a RUNNING run, cancel ends it at once; a dry run sleeps not at all', async () => {
    const planId = await createPlan(plan('"type": "sleep"'), 'sleep-example');
    const input = { remindAt: new Date(Date.now() + 2 * 86_400_000).toISOString() };
    const id = await start(planId, input);
    const parked = await runUntil(id, (r) => step(r, 'cool_off')?.status === 'WAITING', 'cool_off parked');
    expect(parked.status).toBe('RUNNING');
    await graphql(`mutation($id: ID!) { cancelExecution(input: { id: $id }) { userErrors { code message } } }`, { id });
    expect((await runUntil(id, finished, 'cancelled sleep')).status).toBe('CANCELLED');

    const dry = await runUntil(await start(planId, input, 'DRY_RUN'), finished, 'dry sleep');
    expect(dry.status).toBe('SUCCEEDED');
    expect(step(dry, 'remind')?.output).toEqual({ sleptMs: expect.any(Number) });
  });

  it('wait: resumed by a matching sendEvent, its data the step output', async () => {
    const planId = await createPlan(plan('"type": "wait"'), 'wait-example');
    ids['wait plan id'] = planId;
    const id = await start(planId, { orderId: 'A-17' });
    const parked = await runUntil(id, (r) => step(r, 'paid')?.status === 'WAITING', 'paid parked');
    expect(parked.status).toBe('RUNNING');
    const send = (data: object) =>
      graphql<{ sendEvent: { resumed: number; userErrors: unknown[] } }>(
        `mutation($input: SendEventInput!) { sendEvent(input: $input) { resumed userErrors { code field message } } }`,
        { input: { workspaceId, name: 'order.paid', data } },
      );
    expect((await send({ orderId: 'B-2', amount: 5 })).sendEvent).toEqual({ resumed: 0, userErrors: [] });
    expect((await send({ orderId: 'A-17', amount: 42 })).sendEvent).toEqual({ resumed: 1, userErrors: [] });
    const run = await runUntil(id, finished, 'wait');
    expect(run.status).toBe('SUCCEEDED');
    expect(step(run, 'paid')?.output).toEqual({ orderId: 'A-17', amount: 42 });
    expect(step(run, 'ship')?.output).toEqual({ amount: 42 });
  });

  it('events: the trigger lines start the wait plan from an event, which does not resume the run it starts', async () => {
    const events = operations(blockWith(fencedBlocks(README, 'graphql'), 'createEventTrigger'));
    const [trigger, send, list] = events.map((op) =>
      fill(op, { id: workspaceId, 'plan id': ids['wait plan id'] ?? '' }),
    );
    const created = await graphql<{ createEventTrigger: { eventTrigger: { id: string }; userErrors: unknown[] } }>(
      trigger ?? '',
    );
    expect(created.createEventTrigger.userErrors).toEqual([]);

    const sent = await graphql<{
      sendEvent: { resumed: number; started: { id: string; trigger: string; input: unknown }[]; userErrors: unknown[] };
    }>(send ?? '');
    const data = { orderId: 'o-17', currency: 'EUR' };
    expect(sent.sendEvent).toMatchObject({ resumed: 0, started: [{ trigger: 'EVENT', input: data }], userErrors: [] });
    // The run it started waits for the next order.paid of o-17: events sent before it waited do not count.
    const id = sent.sendEvent.started[0]?.id ?? '';
    expect((await runUntil(id, (r) => step(r, 'paid')?.status === 'WAITING', 'started run parked')).status).toBe(
      'RUNNING',
    );

    const listed = await graphql<{
      workspace: { eventTriggers: unknown[]; events: { edges: { node: { data: unknown; started: unknown[] } }[] } };
    }>(list ?? '');
    expect(listed.workspace.eventTriggers).toEqual([
      { event: 'order.paid', match: { currency: 'EUR' }, plan: { name: 'wait-example' } },
    ]);
    const event = listed.workspace.events.edges.find((e) => JSON.stringify(e.node.data) === JSON.stringify(data));
    expect(event?.node).toMatchObject({ name: 'order.paid', source: 'API', resumed: 0, started: [{ id }] });
    await graphql(`mutation($id: ID!) { cancelExecution(input: { id: $id }) { userErrors { code message } } }`, { id });
  });
});
