import { StartExecutionDocument } from '@weft/client';
import type { Command } from 'commander';
import { ExitCode } from '../exit-codes.ts';
import { followRun } from '../follow-run.ts';
import { jsonArg, positiveInt } from '../json-arg.ts';
import { type GlobalOptions, Session } from '../session.ts';
import { planVersion } from './plan.ts';

interface RunOptions {
  input?: string;
  version?: number;
  dryRun?: boolean;
  follow?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run <plan>')
    .description('starts a run of a plan; with --follow, prints its events and exits 0 only if it succeeds')
    .option('--input <json>', "the run's input as JSON, or @file.json")
    .option('--version <n>', 'a version number (default: the latest)', positiveInt('--version', 1_000_000))
    .option('--dry-run', 'a dry run: tools with side effects answer mocks')
    .option('-f, --follow', 'print events live; exit 0 on SUCCEEDED, 1 otherwise')
    .addHelpText(
      'after',
      '\nExamples:\n  weft run order --input \'{"orderId": 42}\' --follow\n  weft run order --input @input.json --dry-run --follow --json | tail -n1',
    )
    .action(async (name: string, options: RunOptions, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const plan = await session.requirePlan(name);
      const input = options.input === undefined ? null : await jsonArg(options.input, '--input');
      const payload = await session.client.mutate(StartExecutionDocument, 'startExecution', {
        input: {
          planId: plan.id,
          input,
          mode: options.dryRun === true ? 'DRY_RUN' : 'LIVE',
          ...(options.version === undefined ? {} : { version: options.version }),
        },
      });
      const execution = payload.execution;
      if (execution === null) return;
      if (options.follow !== true) {
        session.out.result(execution);
        session.out.line(`Started ${execution.id} (${name} v${execution.planVersion.number}, ${execution.mode}).`);
        return;
      }
      session.out.line(`Started ${execution.id} (${name} v${execution.planVersion.number}, ${execution.mode}).`);
      const steps = (await planVersion(session, name, execution.planVersion.number)).spec as { steps: unknown[] };
      const ended = await followRun(session, execution.id, steps.steps.length);
      session.out.result(ended);
      const c = session.out.color;
      session.out.line(
        ended.status === 'SUCCEEDED'
          ? c.green(`SUCCEEDED ${JSON.stringify(ended.output)}`)
          : c.red(`${ended.status}${ended.error === null ? '' : `: ${ended.error}`}`),
      );
      if (ended.status !== 'SUCCEEDED') process.exitCode = ExitCode.FAILED;
    });
}
