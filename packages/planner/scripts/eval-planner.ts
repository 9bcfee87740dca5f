/**
 * `npm run eval:planner`: the planner's accuracy on test/fixtures/planner — the deterministic
 * planner always, the LLM path too when OPENAI_API_KEY is set.
 */
import { join } from 'node:path';
import { type EvalReport, evaluatePlanner, llmConfigFromEnv, loadEvalFixtures } from '@weft/planner';
import { engineValidatorFor, REPO_ROOT } from '@weft/test-utils';

function print(report: EvalReport): void {
  for (const o of report.outcomes) {
    const got = Array.isArray(o.got) ? o.got.join(', ') || '(none)' : o.got;
    console.log(
      `${o.correct ? 'ok  ' : 'MISS'} ${o.request}\n     expected ${o.expected.join(', ') || '(refusal)'}; got ${got}`,
    );
  }
  console.log(
    `${report.planner} planner: ${report.correct}/${report.total} correct, accuracy ${(100 * report.accuracy).toFixed(1)}%`,
  );
}

const { tools, cases } = await loadEvalFixtures(join(REPO_ROOT, 'test/fixtures/planner'));
const validate = engineValidatorFor(tools);
print(await evaluatePlanner(cases, tools, validate));
const llm = llmConfigFromEnv();
if (llm) print(await evaluatePlanner(cases, tools, validate, llm));
else console.log('llm planner: skipped (OPENAI_API_KEY is not set)');
