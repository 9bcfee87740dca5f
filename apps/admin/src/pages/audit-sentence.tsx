import { Anchor, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { paths } from '../paths.ts';
import type { AuditNode } from './types.ts';

// One audit row as a sentence: who did what to whom, with names and links instead of ids. What an
// action's `data` holds is written where the API records it (packages/schema/src/mutations/).

type Person = { email: string; name: string | null } | null;

const nameOf = (person: Person) => (person === null ? null : (person.name ?? person.email));

/** A value of the row's before/after data, when it is a string. */
function field(data: unknown, side: 'before' | 'after', key: string): string | null {
  if (typeof data !== 'object' || data === null) return null;
  const part = (data as Record<string, unknown>)[side];
  if (typeof part !== 'object' || part === null) return null;
  const value = (part as Record<string, unknown>)[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

/** Past-tense verbs of run controls, by action. */
const RUN_VERBS: Record<string, string> = {
  'execution.cancel': 'cancelled',
  'execution.pause': 'paused',
  'execution.resume': 'resumed',
  'execution.retry': 'retried',
  'execution.rollback': 'rolled back',
  'execution.rerun': 're-ran from an earlier run as',
  'execution.start': 'started',
  'execution.regression_test': 'started a regression test as',
};

/** The generic verb for actions without a sentence of their own: `schedule.create` → "created a schedule". */
function generic(action: string, label: string | null): string {
  const [noun = action, verb = ''] = action.split('.');
  const done: Record<string, string> = {
    create: 'created',
    delete: 'deleted',
    update: 'updated',
    replace: 'replaced',
    send: 'sent',
  };
  const thing = noun
    .replace(/_/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return `${done[verb] ?? verb} ${thing === 'event' ? 'an event' : `a ${thing}`}${label === null ? '' : ` “${label}”`}`;
}

function Gone({ what }: { what: string }) {
  return (
    <Text span c="dimmed" size="sm" className="gone">
      {' '}
      ({what})
    </Text>
  );
}

/** The run a row points at, linked while it exists; `plan` names it once it is gone. */
function RunLink({ slug, row, plan }: { slug: string; row: AuditNode; plan: string | null }) {
  const run = row.targetExecution;
  if (run === null) {
    return (
      <>
        {plan === null ? 'run' : `run of ${plan}`}
        <Gone what="no longer exists" />
      </>
    );
  }
  const what = `${run.mode === 'DRY_RUN' ? 'dry run' : 'run'} of ${run.plan.name}`;
  return (
    <Anchor component={Link} to={paths.run(slug, run.id)} fz="inherit">
      {what}
    </Anchor>
  );
}

export function auditSentence(row: AuditNode, slug: string): ReactNode {
  const actor = nameOf(row.actor) ?? 'The system';
  const label = row.targetLabel;
  const target = nameOf(row.targetUser) ?? label ?? 'someone';
  const memberGone = row.targetGone === true ? <Gone what="no longer a member" /> : null;
  const gone = row.targetGone === true ? <Gone what="no longer exists" /> : null;
  const before = (key: string) => field(row.data, 'before', key);
  const after = (key: string) => field(row.data, 'after', key);
  switch (row.action) {
    case 'workspace.create':
      return `${actor} created the workspace`;
    case 'member.add':
      return (
        <>
          {actor} added {target} as {after('role') ?? 'a member'}
          {memberGone}
        </>
      );
    case 'member.changeRole':
      return (
        <>
          {actor} changed {target}’s role from {before('role') ?? '?'} to {after('role') ?? '?'}
          {memberGone}
        </>
      );
    case 'member.remove':
      return `${actor} removed ${target} (${before('role') ?? 'member'}) from the workspace`;
    case 'apiToken.create':
      return (
        <>
          {actor} created the API token “{label ?? '?'}”{gone}
        </>
      );
    case 'apiToken.revoke': {
      const owner = after('ownerEmail');
      return `${actor} revoked ${owner === null ? 'an API token' : `${owner}’s API token`}${label === null ? '' : ` “${label}”`}`;
    }
    case 'apiToken.revokeAll':
      return `${actor} revoked all of their tokens`;
    case 'plan.create':
    case 'plan.update': {
      const verb =
        row.action === 'plan.create' ? 'created the plan' : `saved version ${after('version') ?? '?'} of the plan`;
      const name = label ?? 'a plan';
      return (
        <>
          {actor} {verb}{' '}
          {row.targetGone === false && row.targetId !== null ? (
            <Anchor component={Link} to={paths.plan(slug, row.targetId)} fz="inherit">
              {name}
            </Anchor>
          ) : (
            name
          )}
          {gone}
        </>
      );
    }
    // The row names the plugin and versions in its data (schema's mutations/marketplace.ts), not its label.
    case 'plugin.install':
      return `${actor} installed the plugin ${after('plugin') ?? '?'} ${after('version') ?? ''}`.trimEnd();
    case 'plugin.upgrade':
      return `${actor} moved the plugin ${after('plugin') ?? '?'} from ${before('version') ?? '?'} to ${after('version') ?? '?'}`;
    case 'plugin.uninstall':
      return `${actor} uninstalled the plugin ${before('plugin') ?? '?'} ${before('version') ?? ''}`.trimEnd();
    case 'approval.decide': {
      const decided = after('status') === 'REJECTED' ? 'rejected' : 'approved';
      const comment = after('comment');
      return (
        <>
          {actor} {decided} step “{label ?? '?'}” of the <RunLink slug={slug} row={row} plan={null} />
          {comment === null ? '' : `: “${comment}”`}
        </>
      );
    }
    default: {
      const verb = RUN_VERBS[row.action];
      if (verb !== undefined) {
        return (
          <>
            {actor} {verb} the <RunLink slug={slug} row={row} plan={label} />
          </>
        );
      }
      return (
        <>
          {actor} {generic(row.action, label)}
          {gone}
        </>
      );
    }
  }
}
