/**
 * `npm run eval:planner`: the planner's precision and recall on test/fixtures/planner, on the
 * tuning set (requests.json) and on the held-out set (requests.heldout.json, never tuned on) —
 * the deterministic planner always, the LLM path too when OPENAI_API_KEY is set.
 */
import { fileURLToPath } from 'node:url';
import {
  catalogueValidator,
  type EvalCase,
  type EvalReport,
  evaluatePlanner,
  type LlmConfig,
  llmConfigFromEnv,
  loadEvalFixtures,
} from '@weft/planner';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/planner/', import.meta.url));
const pct = (n: number): string => `${(100 * n).toFixed(1)}%`;

function print(part: string, report: EvalReport): void {
  for (const o of report.outcomes) {
    const got = Array.isArray(o.got) ? o.got.join(', ') || '(none)' : o.got;
    console.log(
      `${o.correct ? 'ok  ' : 'MISS'} ${o.request}\n     expected ${o.expected.join(', ') || '(refusal)'}; got ${got}`,
    );
  }
  console.log(
    `${report.planner} planner, ${part}: precision ${pct(report.precision)} (${report.rightPlans}/${report.plans} plans right), ` +
      `recall ${pct(report.recall)} (${report.rightPlans}/${report.answerable} answerable), ` +
      `refusals ${report.refusals.right}/${report.refusals.of}, accuracy ${pct(report.accuracy)}\n`,
  );
}

const { tools, cases, heldOut } = await loadEvalFixtures(FIXTURES);
const validate = catalogueValidator(tools);
const parts: Array<[string, EvalCase[]]> = [
  ['tuning set', cases],
  ['held-out set', heldOut],
];
const run = async (llm: LlmConfig | null): Promise<void> => {
  const reports: Array<[string, EvalReport]> = [];
  for (const [part, set] of parts) {
    const report = await evaluatePlanner(set, tools, validate, llm);
    print(part, report);
    reports.push([part, report]);
  }
  for (const [part, r] of reports)
    console.log(`SUMMARY ${r.planner} ${part}: precision ${pct(r.precision)}, recall ${pct(r.recall)}`);
};
await run(null);
const llm = llmConfigFromEnv();
if (llm) await run(llm);
else console.log('llm planner: skipped (OPENAI_API_KEY is not set)');
