import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import { compositeIssues } from './composite-steps.ts';
import { conditionIssues } from './condition-issues.ts';
import { PlanIssueCode } from './errors.ts';
import { coreSleepIssue, parkedFieldIssues, parkedTemplated } from './parked-plan.ts';
import { findCycle, inferDependencies, upstreamOf } from './plan-graph.ts';
import { planSpecJsonSchema } from './plan-schema.ts';
import { planSizeIssues } from './size-limits.ts';
import { findTemplates } from './templates.ts';
import { isValidRange, resolveToolRef } from './tool-ref.ts';
import type { JsonSchema, PlanIssue, PlanSpec, StepSpec, ToolDefinition } from './types.ts';

const ajv = new Ajv2020({ allErrors: true, strict: false });
// ajv-formats is CommonJS: under NodeNext its default export arrives wrapped once more.
const addFormats = ajvFormats.default as unknown as (a: Ajv2020) => void;
addFormats(ajv);
const validateSchema = ajv.compile(planSpecJsonSchema);
const toolValidators = new WeakMap<JsonSchema, ValidateFunction | null>();

function toolValidator(schema: JsonSchema): ValidateFunction | null {
  if (toolValidators.has(schema)) return toolValidators.get(schema) ?? null;
  let fn: ValidateFunction | null = null;
  try {
    fn = ajv.compile(schema);
  } catch {
    fn = null; // a provider's broken schema must not break validation of the whole plan
  }
  toolValidators.set(schema, fn);
  return fn;
}

function pointerToPath(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function schemaIssues(errors: ErrorObject[]): PlanIssue[] {
  return errors.map((e) => {
    const path = pointerToPath(e.instancePath);
    const missing = e.keyword === 'required' ? (e.params as { missingProperty?: string }).missingProperty : undefined;
    const extra =
      e.keyword === 'additionalProperties'
        ? (e.params as { additionalProperty?: string }).additionalProperty
        : undefined;
    const field = missing ?? extra;
    return {
      code: PlanIssueCode.SCHEMA,
      path: field === undefined ? path : [...path, field],
      message:
        extra !== undefined
          ? `unknown field "${extra}"`
          : `${path.length === 0 ? 'plan' : path.join('.')} ${e.message}`,
    };
  });
}

/**
 * @public Checks a plan document against the schema and the given tools: duplicate ids, unknown
 * `after` targets, cycles, unknown tools, tool inputs (templated fields skipped), references.
 * Returns the typed spec only when there is no issue. A spec beyond `PLAN_LIMITS` gets only its
 * size issues: nothing else is looked at, so no check's cost grows with an oversized input.
 */
export function validatePlanSpec(
  spec: unknown,
  tools: readonly ToolDefinition[],
  options: { knownPlans?: ReadonlySet<string> } = {},
): { spec: PlanSpec | null; issues: PlanIssue[] } {
  const tooLarge = planSizeIssues(spec);
  if (tooLarge.length > 0) return { spec: null, issues: tooLarge };
  if (!validateSchema(spec)) return { spec: null, issues: schemaIssues(validateSchema.errors ?? []) };
  const plan = spec as unknown as PlanSpec;
  const issues: PlanIssue[] = [];
  const index = new Map<string, number>();
  plan.steps.forEach((step, i) => {
    if (index.has(step.id)) {
      issues.push({
        code: PlanIssueCode.DUPLICATE_STEP_ID,
        path: ['steps', String(i), 'id'],
        message: `step id "${step.id}" is already used by steps[${index.get(step.id)}]`,
      });
    } else index.set(step.id, i);
  });
  const deps = inferDependencies(plan);

  plan.steps.forEach((step, i) => {
    const at = ['steps', String(i)];
    (step.after ?? []).forEach((target, j) => {
      if (!index.has(target)) {
        issues.push({
          code: PlanIssueCode.UNKNOWN_STEP,
          path: [...at, 'after', String(j)],
          message: `"after" names unknown step "${target}"`,
        });
      }
    });
    issues.push(...parkedFieldIssues(step, at));
    const capped = coreSleepIssue(step, at);
    const toolProblems = stepToolIssues(step, at, tools);
    // The cap's own message (pointing at type "sleep") replaces the tool schema's generic one.
    if (capped === null) issues.push(...toolProblems);
    else issues.push(capped, ...toolProblems.filter((p) => p.path.join('/') !== capped.path.join('/')));
    issues.push(...compositeIssues(plan, step, at, options.knownPlans));
    const inMap = step.type === 'map';
    issues.push(...referenceIssues(step.input, [...at, 'input'], index, (id) => id !== step.id, step.id, inMap));
    issues.push(...referenceIssues(step.over, [...at, 'over'], index, (id) => id !== step.id, step.id));
    for (const [field, value] of Object.entries(parkedTemplated(step))) {
      issues.push(...referenceIssues(value, [...at, field], index, (id) => id !== step.id, step.id));
    }
    issues.push(...conditionIssues(step, at, index));
    if (step.fallback !== undefined) {
      issues.push(
        ...referenceIssues(step.fallback.input, [...at, 'fallback', 'input'], index, (id) => id !== step.id, step.id),
      );
    }
    if (step.compensate !== undefined) {
      const upstream = upstreamOf(step.id, deps);
      issues.push(
        ...referenceIssues(
          step.compensate.input,
          [...at, 'compensate', 'input'],
          index,
          (id) => id === step.id || upstream.has(id),
          step.id,
        ),
      );
    }
  });

  const cycle = findCycle(deps);
  if (cycle !== null) {
    const first = cycle[0] ?? '';
    issues.push({
      code: PlanIssueCode.CYCLE,
      path: ['steps', String(index.get(first) ?? 0)],
      message: `dependency cycle: ${cycle.join(' → ')}`,
    });
  }
  return issues.length === 0 ? { spec: plan, issues } : { spec: null, issues };
}

function stepToolIssues(step: StepSpec, at: string[], tools: readonly ToolDefinition[]): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const kind = step.type ?? 'tool';
  if (kind === 'tool' || (kind === 'map' && step.tool !== undefined)) {
    if (step.tool === undefined) {
      issues.push({ code: PlanIssueCode.MISSING_TOOL, path: [...at, 'tool'], message: 'a tool step needs "tool"' });
    } else issues.push(...toolIssues(step.tool, step.input ?? {}, [...at, 'tool'], [...at, 'input'], tools));
  }
  if (step.fallback !== undefined && kind === 'tool') {
    issues.push(
      ...toolIssues(
        step.fallback.tool,
        step.fallback.input ?? {},
        [...at, 'fallback', 'tool'],
        [...at, 'fallback', 'input'],
        tools,
      ),
    );
  }
  if (step.compensate !== undefined) {
    issues.push(
      ...toolIssues(
        step.compensate.tool,
        step.compensate.input ?? {},
        [...at, 'compensate', 'tool'],
        [...at, 'compensate', 'input'],
        tools,
      ),
    );
  }
  return issues;
}

function toolIssues(
  ref: string,
  input: Record<string, unknown>,
  toolPath: string[],
  inputPath: string[],
  tools: readonly ToolDefinition[],
): PlanIssue[] {
  if (!isValidRange(ref)) {
    return [{ code: PlanIssueCode.UNKNOWN_TOOL, path: toolPath, message: `"${ref}" has an invalid version range` }];
  }
  const tool = resolveToolRef(tools, ref);
  if (tool === null) {
    return [{ code: PlanIssueCode.UNKNOWN_TOOL, path: toolPath, message: `no tool "${ref}" in this workspace` }];
  }
  const validate = toolValidator(tool.inputSchema);
  if (validate === null || validate(input)) return [];
  // Templated fields are only known at run time: their errors (and "required" for them) are skipped.
  const templated = new Set(findTemplates(input).map((t) => t.path.join('/')));
  return (validate.errors ?? [])
    .filter((e) => !templated.has(pointerToPath(e.instancePath).join('/')))
    .map((e) => {
      const path = pointerToPath(e.instancePath);
      const missing = e.keyword === 'required' ? (e.params as { missingProperty?: string }).missingProperty : undefined;
      const full = missing === undefined ? path : [...path, missing];
      return {
        code: PlanIssueCode.INVALID_TOOL_INPUT,
        path: [...inputPath, ...full],
        message: `input${full.length > 0 ? `.${full.join('.')}` : ''} ${e.message ?? 'is invalid'} (tool ${tool.name}@${tool.version})`,
      };
    });
}

function referenceIssues(
  value: unknown,
  at: string[],
  index: Map<string, number>,
  allowed: (id: string) => boolean,
  selfId: string,
  inMap = false,
): PlanIssue[] {
  if (value === undefined) return [];
  const issues: PlanIssue[] = [];
  for (const t of findTemplates(value)) {
    const path = [...at, ...t.path];
    if (t.reference === null) {
      issues.push({ code: PlanIssueCode.BAD_REFERENCE, path, message: `${t.raw}: ${t.problem ?? 'bad reference'}` });
    } else if ((t.reference.source === 'item' || t.reference.source === 'index') && !inMap) {
      issues.push({
        code: PlanIssueCode.BAD_REFERENCE,
        path,
        message: `${t.raw}: item and index exist only in a map step's input`,
      });
    } else if (t.reference.source === 'steps') {
      const id = t.reference.stepId;
      if (!index.has(id)) {
        issues.push({
          code: PlanIssueCode.UNKNOWN_REFERENCE,
          path,
          message: `${t.raw} references unknown step "${id}"`,
        });
      } else if (!allowed(id)) {
        issues.push({
          code: PlanIssueCode.STEP_NOT_UPSTREAM,
          path,
          message:
            id === selfId
              ? `${t.raw}: a step cannot use its own output as input`
              : `${t.raw}: step "${id}" does not run before "${selfId}"`,
        });
      }
    }
  }
  return issues;
}
