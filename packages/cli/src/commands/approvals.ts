import { type ApprovalStatus, ApprovalsDocument, DecideApprovalDocument } from '@weft/client';
import type { Command } from 'commander';
import { CliError, ExitCode } from '../exit-codes.ts';
import { type GlobalOptions, Session } from '../session.ts';

const STATUSES: readonly ApprovalStatus[] = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED'];

export function registerApprovals(program: Command): void {
  program
    .command('approvals')
    .description('approval gates of the workspace')
    .command('list')
    .description('approvals (pending ones unless --status)')
    .option('--status <status>', `PENDING (default), APPROVED, REJECTED or EXPIRED`, 'PENDING')
    .action(async (options: { status: string }, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const status = options.status.toUpperCase() as ApprovalStatus;
      if (!STATUSES.includes(status))
        throw new CliError(`--status must be one of ${STATUSES.join(', ')}`, ExitCode.USAGE, 'USAGE');
      const { slug } = await session.workspace();
      const { workspace } = await session.client.request(ApprovalsDocument, { slug, status });
      const rows = (workspace?.approvals.edges ?? []).map((e) => e.node);
      session.out.result(rows);
      session.out.table([
        ['ID', 'EXECUTION', 'STEP', 'STATUS', 'MESSAGE'],
        ...rows.map((a) => [a.id, a.execution.id, a.stepId, a.status, a.message ?? '']),
      ]);
    });

  program
    .command('approve <id>')
    .description('approves (or with --reject, rejects) a pending approval')
    .option('--reject', 'reject instead of approving')
    .option('--comment <text>', 'a comment kept with the decision')
    .action(async (id: string, options: { reject?: boolean; comment?: string }, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const payload = await session.client.mutate(DecideApprovalDocument, 'decideApproval', {
        input: { approvalId: id, approve: options.reject !== true, comment: options.comment ?? null },
      });
      session.out.result(payload.approval);
      session.out.line(`${id}: ${payload.approval?.status ?? 'unknown'}`);
    });
}
