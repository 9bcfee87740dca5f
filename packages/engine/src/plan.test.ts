import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinTools } from './builtin-tools.ts';
import { canonicalJson, hashPlan } from './canonical-json.ts';
import { diffPlans } from './plan-diff.ts';
import { inferDependencies } from './plan-graph.ts';
import { planSchemaFile, planSchemaText } from './plan-schema-file.ts';
import { resolveTemplates } from './templates.ts';
import { resolveToolRef } from './tool-ref.ts';
import type { PlanSpec, ToolDefinition } from './types.ts';
import { validatePlanSpec } from './validate-plan.ts';

const httpTool = (version: string): ToolDefinition => ({
  name: 'http.request',
  version,
  description: 'HTTP',
  inputSchema: {
    type: 'object',
    required: ['url'],
    properties: { url: { type: 'string', format: 'uri' }, retries: { type: 'integer' } },
  },
  async run() {
    return { version };
  },
});
const tools = [...builtinTools, httpTool('1.2.0'), httpTool('1.4.1'), httpTool('2.0.0')];

function issues(spec: unknown) {
  return validatePlanSpec(spec, tools).issues.map((i) => ({
    code: i.code,
    path: i.path.join('.'),
    message: i.message,
  }));
}

describe('plan validation', () => {
  it('accepts a valid plan and returns it typed', () => {
    const spec = {
      name: 'ok',
      steps: [
        { id: 'a', tool: 'core.echo', input: { x: 1 } },
        { id: 'b', tool: 'http.request@^1', input: { url: '{{ steps.a.output.url }}' } },
        { id: 'gate', type: 'approval', after: ['b'], approvers: ['ADMIN'] },
      ],
    };
    const result = validatePlanSpec(spec, tools);
    expect(result.issues).toEqual([]);
    expect(result.spec?.steps).toHaveLength(3);
  });

  it('reports schema errors with the path of the bad field', () => {
    expect(issues({ steps: [{ id: 'a', tool: 'core.echo', retry: { maxAttempts: 0 } }] })).toEqual([
      expect.objectContaining({ code: 'SCHEMA', path: 'steps.0.retry.maxAttempts' }),
    ]);
    expect(issues({ steps: [{ id: 'a', tool: 'core.echo', colour: 'red' }] })).toEqual([
      { code: 'SCHEMA', path: 'steps.0.colour', message: 'unknown field "colour"' },
    ]);
    expect(issues({})).toEqual([expect.objectContaining({ code: 'SCHEMA', path: 'steps' })]);
  });

  it('reports duplicate ids, unknown after targets and unknown tools at their paths', () => {
    expect(
      issues({
        steps: [
          { id: 'a', tool: 'core.echo' },
          { id: 'a', tool: 'core.echo' },
          { id: 'c', tool: 'nope.tool', after: ['zzz'] },
        ],
      }),
    ).toEqual([
      expect.objectContaining({ code: 'DUPLICATE_STEP_ID', path: 'steps.1.id' }),
      expect.objectContaining({ code: 'UNKNOWN_STEP', path: 'steps.2.after.0' }),
      { code: 'UNKNOWN_TOOL', path: 'steps.2.tool', message: 'no tool "nope.tool" in this workspace' },
    ]);
  });

  it('reports a cycle with its path', () => {
    const found = issues({
      steps: [
        { id: 'a', tool: 'core.echo', after: ['c'] },
        { id: 'b', tool: 'core.echo', input: { v: '{{ steps.a.output.v }}' } },
        { id: 'c', tool: 'core.echo', after: ['b'] },
      ],
    });
    expect(found).toHaveLength(1);
    expect(found[0]?.code).toBe('CYCLE');
    expect(found[0]?.message).toMatch(/dependency cycle: (a → b → c → a|b → c → a → b|c → a → b → c)/);
  });

  it('checks tool input against the tool schema, skipping templated fields', () => {
    expect(issues({ steps: [{ id: 's', tool: 'core.sleep', input: { ms: 'soon' } }] })).toEqual([
      expect.objectContaining({ code: 'INVALID_TOOL_INPUT', path: 'steps.0.input.ms' }),
    ]);
    expect(issues({ steps: [{ id: 's', tool: 'core.sleep', input: {} }] })).toEqual([
      expect.objectContaining({ code: 'INVALID_TOOL_INPUT', path: 'steps.0.input.ms' }),
    ]);
    expect(issues({ steps: [{ id: 's', tool: 'core.sleep', input: { ms: '{{ input.delay }}' } }] })).toEqual([]);
  });

  it('reports bad references: syntax, unknown step, own output, compensate not upstream', () => {
    expect(
      issues({
        steps: [
          { id: 'a', tool: 'core.echo', input: { x: '{{ nope.x }}', y: '{{ steps.ghost.output }}', z: '{{ input.a' } },
          { id: 'b', tool: 'core.echo', input: { me: '{{ steps.b.output.x }}' } },
          { id: 'c', tool: 'core.echo', compensate: { tool: 'core.echo', input: { v: '{{ steps.b.output.x }}' } } },
        ],
      }).map((i) => `${i.code} ${i.path}`),
    ).toEqual([
      'BAD_REFERENCE steps.0.input.x',
      'UNKNOWN_REFERENCE steps.0.input.y',
      'BAD_REFERENCE steps.0.input.z',
      'STEP_NOT_UPSTREAM steps.1.input.me',
      'STEP_NOT_UPSTREAM steps.2.compensate.input.v',
    ]);
  });

  it('matches tool versions by semver range, highest first', () => {
    expect(resolveToolRef(tools, 'http.request@^1')?.version).toBe('1.4.1');
    expect(resolveToolRef(tools, 'http.request@~1.2')?.version).toBe('1.2.0');
    expect(resolveToolRef(tools, 'http.request')?.version).toBe('2.0.0');
    expect(resolveToolRef(tools, 'http.request@^3')).toBeNull();
    expect(issues({ steps: [{ id: 'x', tool: 'http.request@^3', input: { url: 'https://a.b' } }] })).toEqual([
      expect.objectContaining({ code: 'UNKNOWN_TOOL', path: 'steps.0.tool' }),
    ]);
  });
});

describe('plan model', () => {
  it('infers dependencies from references plus after', () => {
    const deps = inferDependencies({
      steps: [
        { id: 'a', tool: 'core.echo' },
        { id: 'b', tool: 'core.echo', input: { x: ['{{ steps.a.output.v }}', { y: 'n={{ steps.a.output.n }}' }] } },
        { id: 'c', tool: 'core.echo', after: ['a'], input: { x: '{{ steps.b.output }}' } },
      ],
    });
    expect(Object.fromEntries(deps)).toEqual({ a: [], b: ['a'], c: ['a', 'b'] });
  });

  it('resolves an exact reference to the raw value and interpolates otherwise', () => {
    const scope = { input: { n: 3, user: { name: 'Ada' } }, steps: { a: { list: [1, 2] } }, context: { k: true } };
    expect(
      resolveTemplates(
        { raw: '{{ input.n }}', obj: '{{ input.user }}', text: 'Hi {{ input.user.name }}, {{ steps.a.output.list }}' },
        scope,
      ),
    ).toEqual({ raw: 3, obj: { name: 'Ada' }, text: 'Hi Ada, [1,2]' });
    expect(resolveTemplates('{{ context.k }}', scope)).toBe(true);
  });

  it('hashes canonical JSON: key order does not matter, content does', () => {
    const a: PlanSpec = { name: 'p', steps: [{ id: 'a', tool: 'core.echo', input: { x: 1, y: 2 } }] };
    const b = JSON.parse('{"steps":[{"input":{"y":2,"x":1},"tool":"core.echo","id":"a"}],"name":"p"}') as PlanSpec;
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(hashPlan(a)).toBe(hashPlan(b));
    expect(hashPlan(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hashPlan({ ...a, name: 'q' })).not.toBe(hashPlan(a));
  });

  it('sorts integer-like keys like any other key, so stored plan hashes stay what they were', () => {
    const spec = {
      name: 'p',
      steps: [{ id: 'a', tool: 'core.echo', input: { '10': 1, '2': 2, b: 'é', a: [1, { z: null, y: true }] } }],
    };
    expect(canonicalJson(spec)).toBe(
      '{"name":"p","steps":[{"id":"a","input":{"10":1,"2":2,"a":[1,{"y":true,"z":null}],"b":"é"},"tool":"core.echo"}]}',
    );
    // The contentHash the API stored for this spec before the engine computed it.
    expect(hashPlan(spec)).toBe('sha256:3b1b5b5768451416d6b14754ae0cb380f797f2bd92e55ae85907bd17b127ba68');
  });

  it('lists added and changed steps in the new version’s order, removed ones in the old one’s', () => {
    const base = {
      steps: [
        { id: 'a', tool: 't' },
        { id: 'b', tool: 't' },
        { id: 'c', tool: 't', input: { x: 1 } },
      ],
    };
    const next = {
      steps: [
        { id: 'c', tool: 't', input: { x: 2 } },
        { id: 'e', tool: 't' },
        { id: 'a', tool: 'u' },
        { id: 'd', tool: 't' },
      ],
    };
    expect(diffPlans(base, next)).toEqual({
      added: ['e', 'd'],
      removed: ['b'],
      changed: ['c', 'a'],
      changedFields: { c: ['input'], a: ['tool'] },
    });
  });

  it('diffs two plans by step id and field', () => {
    const diff = diffPlans(
      {
        steps: [
          { id: 'a', tool: 'core.echo', input: { x: 1 } },
          { id: 'b', tool: 'core.echo' },
          { id: 'gone', tool: 'core.echo' },
        ],
      },
      {
        steps: [
          { id: 'a', tool: 'core.echo', input: { x: 2 }, timeoutMs: 5 },
          { id: 'b', tool: 'core.echo' },
          { id: 'new', tool: 'core.echo' },
        ],
      },
    );
    expect(diff).toEqual({
      added: ['new'],
      removed: ['gone'],
      changed: ['a'],
      changedFields: { a: ['input', 'timeoutMs'] },
    });
  });

  it('keeps the committed plan.schema.json in step with the code (npm run -w @weft/engine schema)', () => {
    expect(JSON.parse(readFileSync(planSchemaFile, 'utf8'))).toEqual(JSON.parse(planSchemaText()));
  });
});
