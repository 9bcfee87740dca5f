import { CreateWorkspaceDocument, ViewerDocument } from '@weft/client';
import type { Command } from 'commander';
import { writeConfig } from '../config.ts';
import { CliError, ExitCode } from '../exit-codes.ts';
import { type GlobalOptions, Session } from '../session.ts';

export function registerWorkspace(program: Command): void {
  const workspace = program.command('workspace').description('the workspace later commands act on');

  workspace
    .command('create <slug>')
    .description('creates a workspace (you are its admin) and uses it')
    .option('--name <name>', 'display name (default: the slug)')
    .action(async (slug: string, options: { name?: string }, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const payload = await session.client.mutate(CreateWorkspaceDocument, 'createWorkspace', {
        input: { slug, name: options.name ?? slug },
      });
      await writeConfig({ workspace: slug });
      session.out.result(payload.workspace);
      session.out.line(`Created workspace ${slug}; later commands use it.`);
    });

  workspace
    .command('use <slug>')
    .description('makes SLUG the workspace later commands act on')
    .action(async (slug: string, _options: unknown, command: Command) => {
      const session = await Session.open({ ...command.optsWithGlobals<GlobalOptions>(), workspace: slug });
      const found = await session.workspace();
      await writeConfig({ workspace: slug });
      session.out.result(found);
      session.out.line(`Using workspace ${slug}.`);
    });

  workspace
    .command('list')
    .description('the workspaces you belong to, and your role in each')
    .action(async (_options: unknown, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const { viewer } = await session.client.request(ViewerDocument);
      if (viewer === null) throw new CliError('not signed in: run `weft login`', ExitCode.AUTH, 'UNAUTHENTICATED');
      const rows = viewer.memberships.map((m) => ({ ...m.workspace, role: m.role }));
      session.out.result(rows);
      const current = session.config.workspace;
      session.out.table([
        ['', 'SLUG', 'NAME', 'ROLE'],
        ...rows.map((w) => [w.slug === current ? '*' : '', w.slug, w.name, w.role]),
      ]);
    });
}
