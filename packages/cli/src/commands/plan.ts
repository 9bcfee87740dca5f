import { writeFile } from 'node:fs/promises';
import {
  CreatePlanDocument,
  PlanVersionDocument,
  type PlanVersionFieldsFragment,
  ToolsDocument,
  UpdatePlanDocument,
} from '@weft/client';
import type { PlanDiff, PlanSpec, ToolDefinition } from '@weft/engine';
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit-codes.ts';
import { positiveInt } from '../json-arg.ts';
import type { Output } from '../output.ts';
import { readPlanFile } from '../plan-file.ts';
import { type GlobalOptions, Session } from '../session.ts';

/** The engine's plan functions, loaded only by the commands that need them (it is large to load). */
const engine = () => import('@weft/engine');

function printDiff(out: Output, diff: PlanDiff): void {
  const c = out.color;
  for (const id of diff.added) out.line(c.green(`  + ${id}`));
  for (const id of diff.removed) out.line(c.red(`  - ${id}`));
  for (const id of diff.changed) {
    const fields = diff.changedFields?.[id] ?? [];
    out.line(c.yellow(`  ~ ${id}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}`));
  }
}

function isEmpty(diff: PlanDiff): boolean {
  return diff.added.length + diff.removed.length + diff.changed.length === 0;
}

export function registerPlan(program: Command): void {
  const plan = program.command('plan').description('plans as files in a repository');

  plan
    .command('push <files...>')
    .description('creates each plan (by its name) or adds a version when its content changed')
    .option('-m, --message <text>', 'the version message')
    .addHelpText(
      'after',
      '\nExamples:\n  weft plan push plans/*.json\n  weft plan push order.json -m "retry the payment step"',
    )
    .action(async (files: string[], options: { message?: string }, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const { id: workspaceId } = await session.workspace();
      const { diffPlans, hashPlan } = await engine();
      const results = [];
      for (const path of files) {
        const file = await readPlanFile(path);
        const existing = await session.plan(file.name);
        const message = options.message ?? null;
        if (existing === null) {
          const created = await session.client.mutate(CreatePlanDocument, 'createPlan', {
            input: { workspaceId, name: file.name, spec: file.spec, message },
          });
          results.push({ name: file.name, version: created.version?.number ?? 1, status: 'created' as const });
          session.out.line(`${session.out.color.green('created')} ${file.name} v${created.version?.number ?? 1}`);
          continue;
        }
        // The server hashes a version's spec the same way: equal hashes mean nothing to push.
        if (hashPlan(file.spec) === existing.latestVersion.contentHash) {
          results.push({ name: file.name, version: existing.latestVersion.number, status: 'unchanged' as const });
          session.out.line(`unchanged ${file.name} v${existing.latestVersion.number}`);
          continue;
        }
        const diff = diffPlans(existing.latestVersion.spec as PlanSpec, file.spec);
        const updated = await session.client.mutate(UpdatePlanDocument, 'updatePlan', {
          input: { planId: existing.id, spec: file.spec, message },
        });
        const number = updated.version?.number ?? existing.latestVersion.number + 1;
        results.push({ name: file.name, version: number, status: 'updated' as const, diff });
        session.out.line(
          `${session.out.color.yellow('updated')} ${file.name} v${existing.latestVersion.number} → v${number}`,
        );
        printDiff(session.out, diff);
      }
      session.out.result(results);
    });

  plan
    .command('pull <name>')
    .description("writes a plan version's spec as JSON (stdout unless -o)")
    .option('-o, --output <file>', 'write to FILE')
    .option('--version <n>', 'a version number (default: the latest)', positiveInt('--version', 1_000_000))
    .action(async (name: string, options: { output?: string; version?: number }, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const version = await planVersion(session, name, options.version);
      const text = `${JSON.stringify(version.spec, null, 2)}\n`;
      if (options.output !== undefined) {
        await writeFile(options.output, text);
        session.out.line(`Wrote ${name} v${version.number} to ${options.output}.`);
        session.out.result({ name, version: version.number, file: options.output });
      } else if (session.out.json) {
        session.out.result({ name, version: version.number, spec: version.spec });
      } else {
        process.stdout.write(text);
      }
    });

  plan
    .command('diff <file>')
    .description("what pushing FILE would change, against the plan's latest version")
    .option('--exit-code', 'exit 1 when there is a difference')
    .action(async (path: string, options: { exitCode?: boolean }, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const file = await readPlanFile(path);
      const existing = await session.plan(file.name);
      const { diffPlans, hashPlan } = await engine();
      const diff = diffPlans(existing === null ? { steps: [] } : (existing.latestVersion.spec as PlanSpec), file.spec);
      const unchanged = existing !== null && hashPlan(file.spec) === existing.latestVersion.contentHash;
      session.out.result({ name: file.name, exists: existing !== null, unchanged, diff });
      if (unchanged) session.out.line(`${file.name}: no change against v${existing?.latestVersion.number}`);
      else {
        session.out.line(
          existing === null ? `${file.name}: new plan` : `${file.name} against v${existing.latestVersion.number}:`,
        );
        if (isEmpty(diff)) session.out.line('  (no step changed; plan-level fields differ)');
        printDiff(session.out, diff);
      }
      if (options.exitCode === true && !unchanged) process.exitCode = ExitCode.FAILED;
    });

  plan
    .command('validate <file>')
    .description("checks FILE against the plan format and the workspace's tools, writing nothing")
    .action(async (path: string, _options: unknown, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const file = await readPlanFile(path);
      const { slug } = await session.workspace();
      const { workspace } = await session.client.request(ToolsDocument, { slug });
      // Only what validation reads (names, versions, schemas); these definitions never run.
      const tools: ToolDefinition[] = (workspace?.tools ?? []).map((t) => ({
        name: t.name,
        version: t.plugin?.version ?? '0.0.0',
        description: t.description,
        inputSchema: t.inputSchema as ToolDefinition['inputSchema'],
        ...(t.outputSchema === null ? {} : { outputSchema: t.outputSchema as ToolDefinition['inputSchema'] }),
        run: () => Promise.reject(new Error('not runnable from the CLI')),
      }));
      const { validatePlanSpec } = await engine();
      const { issues } = validatePlanSpec(file.spec, tools);
      session.out.result({ name: file.name, valid: issues.length === 0, issues });
      if (issues.length === 0) {
        session.out.line(`${file.name}: valid`);
        return;
      }
      for (const issue of issues)
        session.out.line(`${path}: ${issue.path.join('.')}: ${issue.message} (${issue.code})`);
      throw new CliError(`${file.name}: ${issues.length} problem(s)`, ExitCode.INVALID, 'INVALID_PLAN');
    });
}

export async function planVersion(
  session: Session,
  name: string,
  number: number | undefined,
): Promise<PlanVersionFieldsFragment> {
  const plan = await session.requirePlan(name);
  if (number === undefined || number === plan.latestVersion.number) return plan.latestVersion;
  const { node } = await session.client.request(PlanVersionDocument, { planId: plan.id, number });
  const version = node !== null && 'version' in node ? node.version : null;
  if (version === null || version === undefined) {
    throw new CliError(`${name} has no version ${number}`, ExitCode.NOT_FOUND, 'NOT_FOUND');
  }
  return version;
}
