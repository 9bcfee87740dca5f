import { Command } from 'commander';
import { registerApprovals } from './commands/approvals.ts';
import { registerEvent } from './commands/event.ts';
import { registerExecutions } from './commands/executions.ts';
import { registerLogin } from './commands/login.ts';
import { registerPlan } from './commands/plan.ts';
import { registerRun } from './commands/run.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerTest } from './commands/test.ts';
import { registerWorkspace } from './commands/workspace.ts';

const EXAMPLES = `
Examples:
  weft login --url http://localhost:4000 --email me@example.com --password '...'
  weft workspace create acme
  weft plan push plans/*.json
  weft run order --input '{"orderId": 42}' --follow
  weft test record EXECUTION_ID -o fixtures/order.json
  weft test regression order --fixture fixtures/order.json
  weft test chaos order --runs 50 --fail-rate 0.2
  weft test load order --runs 200 --concurrency 20 --dry-run --json

Configuration: $WEFT_CONFIG (default ~/.config/weft/config.json); WEFT_URL, WEFT_TOKEN and
WEFT_WORKSPACE override it. Exit codes: 0 ok, 1 failed (run, regression, chaos, load), 2 usage,
3 not signed in or not allowed, 4 not found, 5 invalid input, 6 server unreachable.`;

/** The `weft` command tree (built fresh per call, so tests can parse argument lists in-process). */
export function buildProgram(): Command {
  const program = new Command('weft')
    .description('Weft from the terminal: plans as code, runs, and regression, chaos and load tests of plans')
    .option('--json', 'machine-readable output (one JSON document per result)')
    .option('--url <url>', 'the server (overrides the config and WEFT_URL)')
    .option('-w, --workspace <slug>', 'the workspace (overrides `weft workspace use`)')
    .addHelpText('after', EXAMPLES)
    .showHelpAfterError('(run `weft --help` for usage)')
    .exitOverride();
  registerLogin(program);
  registerWorkspace(program);
  registerPlan(program);
  registerRun(program);
  registerExecutions(program);
  registerApprovals(program);
  registerTest(program);
  // Waiting for the schedule and event mutations in the schema: until then the API refuses them.
  registerSchedule(program);
  registerEvent(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}
