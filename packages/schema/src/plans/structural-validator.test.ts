import { describe, expect, it } from 'vitest';
import { structuralPlanValidator } from './structural-validator.ts';

describe('structuralPlanValidator', () => {
  it('accepts the plan format of the contract', async () => {
    const spec = {
      name: 'ship',
      concurrency: 2,
      steps: [
        {
          id: 'build',
          tool: 'core.echo',
          input: { v: '{{ input.version }}' },
          retry: { maxAttempts: 3, backoff: 'exponential', delayMs: 100 },
        },
        { id: 'ok', type: 'approval', approvers: ['ADMIN'], message: 'Ship?', after: ['build'] },
        {
          id: 'ship',
          tool: 'deploy@^1',
          after: ['ok'],
          compensate: { tool: 'core.echo' },
          locks: ['prod'],
          timeoutMs: 1000,
        },
      ],
    };
    expect(await structuralPlanValidator('ws', spec)).toEqual({ spec, issues: [] });
  });

  it('addresses each problem by its path in the spec', async () => {
    const { spec, issues } = await structuralPlanValidator('ws', {
      steps: [
        { id: 'a', tool: 'core.echo', retry: { maxAttempts: 0 } },
        { id: 'a', tool: 'core.echo', approvers: ['OWNER'] },
        { id: 'c', after: ['zzz'], extra: true },
      ],
    });
    expect(spec).toBeNull();
    expect(issues.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['INVALID_PLAN', 'steps.0.retry.maxAttempts'],
      ['DUPLICATE_STEP', 'steps.1.id'],
      ['INVALID_PLAN', 'steps.1.approvers'],
      ['INVALID_PLAN', 'steps.2.extra'],
      ['UNKNOWN_TOOL', 'steps.2.tool'],
      ['UNKNOWN_STEP', 'steps.2.after.0'],
    ]);
  });

  it('refuses what is not a plan at all', async () => {
    expect((await structuralPlanValidator('ws', 'steps')).issues[0]?.path).toEqual([]);
    expect((await structuralPlanValidator('ws', { steps: [] })).issues[0]?.path).toEqual(['steps']);
  });
});
