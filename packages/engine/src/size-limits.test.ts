import { describe, expect, it } from 'vitest';
import { PlanIssueCode } from './errors.ts';
import { EXECUTION_INPUT_LIMITS, executionInputSizeIssues, PLAN_LIMITS, planSizeIssues } from './size-limits.ts';
import { validatePlanSpec } from './validate-plan.ts';

const step = (input: unknown) => ({ id: 'a', tool: 'core.echo', input });

describe('plan size limits', () => {
  it('accepts a plan within every limit', () => {
    expect(planSizeIssues({ steps: [step({ text: 'x'.repeat(PLAN_LIMITS.maxStringBytes) })] })).toEqual([]);
  });

  it('names the string over the per-string limit, counting UTF-8 bytes', () => {
    const issues = planSizeIssues({ steps: [step({ text: 'é'.repeat(PLAN_LIMITS.maxStringBytes / 2 + 1) })] });
    expect(issues).toEqual([expect.objectContaining({ code: 'TOO_LARGE', path: ['steps', '0', 'input', 'text'] })]);
  });

  it('refuses a plan larger than the spec limit, even when each string is small', () => {
    const input = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`k${i}`, 'x'.repeat(60 * 1024)]));
    expect(planSizeIssues({ steps: [step(input)] })).toEqual([
      expect.objectContaining({ code: 'TOO_LARGE', path: [] }),
    ]);
  });

  it('counts escapes in the spec limit (a string of quotes doubles when serialized)', () => {
    const input = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`k${i}`, '"'.repeat(60 * 1024)]));
    expect(planSizeIssues({ steps: [step(input)] }).map((i) => i.path)).toEqual([[]]);
  });

  it('refuses more steps than the limit, by count alone', () => {
    const steps = Array.from({ length: PLAN_LIMITS.maxSteps + 1 }, (_, i) => ({ id: `s${i}`, tool: 'core.echo' }));
    expect(planSizeIssues({ steps })).toEqual([expect.objectContaining({ path: ['steps'] })]);
  });

  it('refuses nesting past the depth limit without overflowing the stack', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const issues = planSizeIssues({ steps: [step({ deep })] });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toContain(`${PLAN_LIMITS.maxDepth} levels`);
  });

  it('refuses more values than the limit', () => {
    const many = Array.from({ length: PLAN_LIMITS.maxValues + 1 }, () => 0);
    expect(planSizeIssues({ steps: [step({ many })] })).toEqual([expect.objectContaining({ path: [] })]);
  });

  it('is where validatePlanSpec starts: an oversized spec gets only its size issue', () => {
    const { spec, issues } = validatePlanSpec({ steps: [step({ text: '{{'.repeat(1_000_000) })], extra: 1 }, []);
    expect(spec).toBeNull();
    expect(issues.map((i) => i.code)).toEqual([PlanIssueCode.TOO_LARGE, PlanIssueCode.TOO_LARGE]);
  });
});

describe('execution input size limits', () => {
  it('accepts an input up to the limit and refuses one past it', () => {
    expect(executionInputSizeIssues({ a: 'x'.repeat(1000) })).toEqual([]);
    // The string fits its own limit; with the braces and the key the document does not.
    const big = { a: 'x'.repeat(EXECUTION_INPUT_LIMITS.maxStringBytes) };
    expect(executionInputSizeIssues(big).map((i) => i.path)).toEqual([[]]);
  });

  it('counts the serialized size exactly at the limit', () => {
    const overhead = JSON.stringify({ a: [1, ''] }).length;
    const at = { a: [1, 'x'.repeat(EXECUTION_INPUT_LIMITS.maxBytes - overhead)] };
    expect(JSON.stringify(at).length).toBe(EXECUTION_INPUT_LIMITS.maxBytes);
    expect(executionInputSizeIssues(at)).toEqual([]);
    const over = { a: [1, 'x'.repeat(EXECUTION_INPUT_LIMITS.maxBytes - overhead + 1)] };
    expect(executionInputSizeIssues(over).map((i) => i.path)).toEqual([[]]);
  });
});
