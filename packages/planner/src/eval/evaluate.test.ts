import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogueValidator, type EvalReport, evaluatePlanner, loadEvalFixtures } from './evaluate.ts';

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/planner/', import.meta.url));

// Held-out precision: a plan the offline planner returns must be right; when unsure it answers
// NEEDS_LLM. Measured 100 % (12/12) when the threshold was set; 0.9 allows one wrong plan in ten.
// The held-out set is NEVER tuned on (see its header): a failure here means the planner guesses
// on unseen phrasing, to be fixed with a new case in requests.json, not by adjusting to this file.
const HELD_OUT_PRECISION = 0.9;
// Tuning recall: 97.7 % (42/43) today; 0.93 lets two cases regress while improving the matcher,
// no more, so a real regression in splitting, matching, inputs or confidence cannot pass.
const TUNING_RECALL = 0.93;

const misses = (report: EvalReport): string =>
  report.outcomes
    .filter((o) => !o.correct)
    .map((o) => `${o.request} → ${String(o.got)}`)
    .join('\n');

describe('planner evaluation', () => {
  it(`the deterministic planner finds at least ${TUNING_RECALL * 100}% of the tuning set's plans, refusing what no tool can do`, async () => {
    const { tools, cases } = await loadEvalFixtures(FIXTURES);
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const report = await evaluatePlanner(cases, tools, catalogueValidator(tools));
    expect(report.recall, `missed:\n${misses(report)}`).toBeGreaterThanOrEqual(TUNING_RECALL);
    // Refusals are part of being right: nothing is guessed for requests no tool can do.
    for (const o of report.outcomes.filter((x) => x.expected.length === 0)) expect(o.got).toBe('NEEDS_LLM');
  });

  it(`on the held-out set, at least ${HELD_OUT_PRECISION * 100}% of the plans it returns are right`, async () => {
    // Loaded to measure, never to tune: see test/fixtures/planner/requests.heldout.json.
    const { tools, heldOut } = await loadEvalFixtures(FIXTURES);
    expect(heldOut.length).toBeGreaterThanOrEqual(30);
    const report = await evaluatePlanner(heldOut, tools, catalogueValidator(tools));
    expect(report.plans).toBeGreaterThan(0); // refusing everything is not precision
    const wrong = report.outcomes.filter((o) => !o.correct && Array.isArray(o.got));
    expect(
      report.precision,
      `wrong plans:\n${wrong.map((o) => `${o.request} → ${String(o.got)}`).join('\n')}`,
    ).toBeGreaterThanOrEqual(HELD_OUT_PRECISION);
  });

  it('counts a plan with the right tools but wrong inputs as a miss, and scores precision and recall apart', async () => {
    const { tools } = await loadEvalFixtures(FIXTURES);
    const report = await evaluatePlanner(
      [
        { request: 'wait 5 seconds', tools: ['core.sleep'], inputs: { 'core.sleep': { ms: 5000 } } },
        { request: 'wait 5 seconds', tools: ['core.sleep'], inputs: { 'core.sleep': { ms: 500 } } },
        { request: 'wait 5 seconds', tools: ['core.sleep', 'core.echo'] },
        { request: 'Order a pizza with extra cheese', tools: [], needsLlm: true },
        { request: 'Order a pizza and echo "done"', tools: ['core.echo'] },
      ],
      tools,
      catalogueValidator(tools),
    );
    expect(report.outcomes.map((o) => o.correct)).toEqual([true, false, false, true, false]);
    expect(report.accuracy).toBeCloseTo(2 / 5, 10);
    expect(report.plans).toBe(3); // the last two were refused
    expect(report.precision).toBeCloseTo(1 / 3, 10);
    expect(report.recall).toBeCloseTo(1 / 4, 10);
    expect(report.refusals).toEqual({ right: 1, of: 1 });
  });

  it("validates plans with the engine's rules for the catalogue", async () => {
    const { tools } = await loadEvalFixtures(FIXTURES);
    const validate = catalogueValidator(tools);
    expect(await validate({ steps: [{ id: 'sleep', tool: 'core.sleep', input: { ms: 5 } }] })).toEqual([]);
    const issues = await validate({ steps: [{ id: 'sleep', tool: 'core.sleep', input: { ms: 'soon' } }] });
    expect(issues.map((i) => i.code)).toContain('INVALID_TOOL_INPUT');
    const unknown = await validate({ steps: [{ id: 'x', tool: 'email.send' }] });
    expect(unknown.map((i) => i.code)).toEqual(['UNKNOWN_TOOL']);
  });
});
