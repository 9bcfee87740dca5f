import { writeFile } from 'node:fs/promises';
import { ExecutionRegressionDocument, StartRegressionTestDocument } from '@weft/client';
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit-codes.ts';
import { followRun, readExecution } from '../follow-run.ts';
import { jsonArg, positiveInt, readJsonFile } from '../json-arg.ts';
import { percentile, progressBar, type RunOutcome, runPool } from '../run-pool.ts';
import { type GlobalOptions, Session } from '../session.ts';

/** What `weft test record` writes and `weft test regression` reads (docs/cli.md "Regression tests"). */
interface Fixture {
  weftFixture: 1;
  plan: string;
  version: number;
  executionId: string;
  input: unknown;
  output: unknown;
  steps: Record<string, { input: unknown; output: unknown }>;
}

function ratio(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n > 1)
      throw new CliError(`${name} must be from 0 to 1`, ExitCode.USAGE, 'USAGE');
    return n;
  };
}

function integer(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new CliError(`${name} must be an integer`, ExitCode.USAGE, 'USAGE');
    return n;
  };
}

function ms(value: number | null): string {
  return value === null ? '-' : `${Math.round(value)} ms`;
}

export function registerTest(program: Command): void {
  const test = program.command('test').description('regression, chaos and load tests of plans');

  test
    .command('record <executionId>')
    .description("writes a finished run (its input, each step's input and output, its output) as a fixture")
    .requiredOption('-o, --output <file>', 'the fixture file to write')
    .action(async (id: string, options: { output: string }, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const execution = await readExecution(session, id);
      if (execution.status !== 'SUCCEEDED') {
        throw new CliError(
          `only a succeeded run makes a fixture (${id} is ${execution.status})`,
          ExitCode.INVALID,
          'INVALID_STATE',
        );
      }
      const steps = Object.fromEntries(
        execution.steps
          .filter((s) => s.status === 'SUCCEEDED')
          .map((s) => [s.stepId, { input: s.input, output: s.output }]),
      );
      const fixture: Fixture = {
        weftFixture: 1,
        plan: execution.plan.name,
        version: execution.planVersion.number,
        executionId: execution.id,
        input: execution.input,
        output: execution.output,
        steps,
      };
      await writeFile(options.output, `${JSON.stringify(fixture, null, 2)}\n`);
      session.out.result({
        file: options.output,
        plan: fixture.plan,
        version: fixture.version,
        steps: Object.keys(steps).length,
      });
      session.out.line(
        `Recorded ${fixture.plan} v${fixture.version} (${Object.keys(steps).length} steps) to ${options.output}.`,
      );
    });

  test
    .command('regression <plan>')
    .description(
      "replays a fixture against a plan version as a dry run (recorded outputs as mocks); exit 1 if any step's input or the output changed",
    )
    .requiredOption('--fixture <file>', 'a file written by `weft test record`')
    .option('--version <n>', 'the version to test (default: the latest)', positiveInt('--version', 1_000_000))
    .addHelpText(
      'after',
      '\nExample (CI, before pushing):\n  weft test regression order --fixture fixtures/order.json --json',
    )
    .action(async (name: string, options: { fixture: string; version?: number }, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const fixture = (await readJsonFile(options.fixture)) as Partial<Fixture>;
      const plan = await session.requirePlan(name);
      const started = await session.client.mutate(StartRegressionTestDocument, 'startRegressionTest', {
        input: {
          planId: plan.id,
          fixture: { input: fixture.input ?? null, output: fixture.output ?? null, steps: fixture.steps ?? {} },
          ...(options.version === undefined ? {} : { version: options.version }),
        },
      });
      const execution = started.execution;
      if (execution === null) return;
      await followRun(session, execution.id, Object.keys(fixture.steps ?? {}).length, { quiet: true });
      const { node } = await session.client.request(ExecutionRegressionDocument, { id: execution.id });
      const report = node !== null && 'regression' in node ? node.regression : null;
      if (report === null || report === undefined)
        throw new CliError('the server gave no regression report', ExitCode.INTERNAL);
      session.out.result({ executionId: execution.id, version: execution.planVersion.number, ...report });
      const c = session.out.color;
      session.out.line(
        `${name} v${execution.planVersion.number} against ${options.fixture} (dry run ${execution.id}):`,
      );
      for (const change of report.changes) {
        const where = change.stepId === null ? 'output' : `${change.stepId}`;
        session.out.line(
          c.yellow(
            `  ${change.kind.toLowerCase()} ${where}: ${JSON.stringify(change.expected)} → ${JSON.stringify(change.actual)}`,
          ),
        );
      }
      if (!report.succeeded)
        session.out.line(
          c.red(`  the replay ended ${node !== null && 'status' in node ? node.status : 'unsuccessfully'}`),
        );
      session.out.line(
        report.passed ? c.green('PASSED: nothing changed') : c.red(`CHANGED: ${report.changes.length} difference(s)`),
      );
      if (!report.passed) process.exitCode = ExitCode.FAILED;
    });

  test
    .command('chaos <plan>')
    .description('dry runs with injected faults; reports whether retries and compensation absorbed them')
    .option('--runs <n>', 'how many runs (default 20)', positiveInt('--runs', 1000), 20)
    .option('--concurrency <n>', 'runs at once (default 5)', positiveInt('--concurrency', 50), 5)
    .option('--fail-rate <r>', 'chance an attempt fails (0..1, default 0.2)', ratio('--fail-rate'), 0.2)
    .option('--timeout-rate <r>', 'chance an attempt times out (0..1, default 0)', ratio('--timeout-rate'), 0)
    .option('--latency-ms <n>', 'added to every attempt (default 0)', integer('--latency-ms'), 0)
    .option(
      '--seed <n>',
      'run i uses seed + i: the same seed repeats the same faults (default 1)',
      integer('--seed'),
      1,
    )
    .option('--input <json>', "the runs' input as JSON, or @file.json")
    .option('--min-success <r>', 'exit 1 when fewer runs succeed (0..1, default 1)', ratio('--min-success'), 1)
    .option(
      '--rollback',
      'roll back each failed run and check its compensation (exit 1 if one does not end ROLLED_BACK)',
    )
    .addHelpText('after', '\nExample:\n  weft test chaos order --runs 50 --fail-rate 0.2 --seed 7 --rollback')
    .action(async (name: string, options: ChaosCommandOptions, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const plan = await session.requirePlan(name);
      const input = options.input === undefined ? null : await jsonArg(options.input, '--input');
      const outcomes = await runPool(
        session,
        options.runs,
        options.concurrency,
        (i) => ({
          planId: plan.id,
          input,
          mode: 'DRY_RUN',
          chaos: {
            failRate: options.failRate,
            timeoutRate: options.timeoutRate,
            latencyMs: options.latencyMs,
            seed: options.seed + i,
          },
        }),
        (done) => session.out.progress(progressBar(done, options.runs)),
        { rollbackFailed: options.rollback === true },
      );
      session.out.endProgress();
      const report = chaosReport(outcomes, options);
      session.out.result(report);
      const c = session.out.color;
      session.out.line(
        `${name}: ${options.runs} dry runs, fail rate ${options.failRate}, timeout rate ${options.timeoutRate}`,
      );
      session.out.line(
        `  succeeded        ${report.succeeded}/${report.runs} (${(report.successRate * 100).toFixed(1)}%)`,
      );
      session.out.line(
        `  faults absorbed  ${report.recovered} run(s) succeeded after ${report.retries} retried attempt(s)`,
      );
      session.out.line(`  failed           ${report.failed} run(s), ${report.compensated} step(s) compensated`);
      if (options.rollback === true) {
        session.out.line(`  rolled back      ${report.rolledBack}/${report.failed} failed run(s) ended ROLLED_BACK`);
      }
      if (report.notStarted > 0)
        session.out.line(c.red(`  not started      ${report.notStarted} (${report.firstError ?? ''})`));
      session.out.line(
        report.held ? c.green('HELD') : c.red(`DID NOT HOLD: below ${options.minSuccess * 100}% success`),
      );
      if (!report.held) process.exitCode = ExitCode.FAILED;
    });

  test
    .command('load <plan>')
    .description('starts many runs at a concurrency and reports success rate, throughput and p50/p95/p99 durations')
    .option('--runs <n>', 'how many runs (default 50)', positiveInt('--runs', 100_000), 50)
    .option(
      '--concurrency <n>',
      'runs at once (default 10; the API allows 100 live subscriptions per user)',
      positiveInt('--concurrency', 100),
      10,
    )
    .option('--dry-run', 'dry runs (tools with side effects answer mocks)')
    .option('--input <json>', "the runs' input as JSON, or @file.json")
    .option('--min-success <r>', 'exit 1 when fewer runs succeed (0..1, default 1)', ratio('--min-success'), 1)
    .addHelpText('after', '\nExample:\n  weft test load order --runs 500 --concurrency 25 --dry-run --json')
    .action(async (name: string, options: LoadCommandOptions, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const plan = await session.requirePlan(name);
      const input = options.input === undefined ? null : await jsonArg(options.input, '--input');
      const started = performance.now();
      const outcomes = await runPool(
        session,
        options.runs,
        options.concurrency,
        () => ({ planId: plan.id, input, mode: options.dryRun === true ? 'DRY_RUN' : 'LIVE' }),
        (done) => session.out.progress(progressBar(done, options.runs)),
      );
      session.out.endProgress();
      const seconds = (performance.now() - started) / 1000;
      const succeeded = outcomes.filter((o) => o.status === 'SUCCEEDED');
      const durations = succeeded.map((o) => o.durationMs);
      const report = {
        runs: outcomes.length,
        succeeded: succeeded.length,
        successRate: outcomes.length === 0 ? 0 : succeeded.length / outcomes.length,
        seconds,
        throughputPerSecond: outcomes.length / seconds,
        p50Ms: percentile(durations, 50),
        p95Ms: percentile(durations, 95),
        p99Ms: percentile(durations, 99),
        statuses: countBy(outcomes.map((o) => o.status)),
        firstError: outcomes.find((o) => o.error !== null)?.error ?? null,
      };
      session.out.result(report);
      session.out.line(
        `${name}: ${report.runs} ${options.dryRun === true ? 'dry ' : ''}runs at concurrency ${options.concurrency}`,
      );
      session.out.line(`  success     ${report.succeeded}/${report.runs} (${(report.successRate * 100).toFixed(1)}%)`);
      session.out.line(`  throughput  ${report.throughputPerSecond.toFixed(2)} runs/s over ${seconds.toFixed(1)} s`);
      session.out.line(`  duration    p50 ${ms(report.p50Ms)}  p95 ${ms(report.p95Ms)}  p99 ${ms(report.p99Ms)}`);
      if (report.firstError !== null) session.out.line(`  first error ${report.firstError}`);
      if (report.successRate < options.minSuccess) process.exitCode = ExitCode.FAILED;
    });
}

interface ChaosCommandOptions {
  runs: number;
  concurrency: number;
  failRate: number;
  timeoutRate: number;
  latencyMs: number;
  seed: number;
  input?: string;
  minSuccess: number;
  rollback?: boolean;
}

interface LoadCommandOptions {
  runs: number;
  concurrency: number;
  dryRun?: boolean;
  input?: string;
  minSuccess: number;
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

function chaosReport(outcomes: readonly RunOutcome[], options: ChaosCommandOptions) {
  const succeeded = outcomes.filter((o) => o.status === 'SUCCEEDED');
  const retries = outcomes.reduce((n, o) => n + (o.events['step.retrying'] ?? 0), 0);
  const successRate = outcomes.length === 0 ? 0 : succeeded.length / outcomes.length;
  const rolledBack = outcomes.filter((o) => o.rollback === 'ROLLED_BACK').length;
  const rollbacks = outcomes.filter((o) => o.rollback !== null).length;
  /** Compensation held when every failed run that was rolled back ended ROLLED_BACK. */
  const compensationHeld = rolledBack === rollbacks;
  return {
    runs: outcomes.length,
    succeeded: succeeded.length,
    successRate,
    /** Runs that met at least one injected failure and still succeeded: retries held. */
    recovered: succeeded.filter((o) => (o.events['step.retrying'] ?? 0) > 0).length,
    retries,
    failed: outcomes.filter((o) => o.status === 'FAILED').length,
    compensated: outcomes.reduce((n, o) => n + (o.events['step.compensated'] ?? 0), 0),
    notStarted: outcomes.filter((o) => o.status === 'NOT_STARTED').length,
    statuses: countBy(outcomes.map((o) => o.status)),
    firstError: outcomes.find((o) => o.error !== null)?.error ?? null,
    rolledBack,
    compensationHeld,
    held: successRate >= options.minSuccess && compensationHeld,
    executions: outcomes.map((o) => ({ id: o.executionId, status: o.status })),
  };
}
