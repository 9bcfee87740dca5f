import { Alert } from '@mantine/core';
import { adminsOnlyReason, cannotEditSchedulesReason, cannotSendEventsReason } from '../components/role-hint.ts';
import { useWorkspace } from '../layout/workspace-layout.tsx';
import { AuditPanel } from './audit-panel.tsx';
import { EventsPanel } from './events-panel.tsx';
import { MembersPanel } from './members-panel.tsx';
import { SchedulesPanel } from './schedules-panel.tsx';
import { TokensPanel } from './tokens-panel.tsx';

// The workspace's older sections, each at its own URL, fed from the workspace the layout loaded.

export function MembersPage() {
  const { workspace, viewerId, refetch } = useWorkspace();
  return (
    <MembersPanel
      slug={workspace.slug}
      workspaceId={workspace.id}
      isAdmin={workspace.viewerRole === 'ADMIN'}
      viewerId={viewerId}
      onChange={refetch}
    />
  );
}

export function AuditPage() {
  const { workspace } = useWorkspace();
  const reason = adminsOnlyReason(workspace.viewerRole, 'the audit log');
  if (reason !== null) {
    return (
      // A note, not an alert: nothing went wrong, and it is not news to announce.
      <Alert color="gray" role="note" className="admins-only">
        {reason} Ask an admin of this workspace if you need to know who changed what.
      </Alert>
    );
  }
  return <AuditPanel slug={workspace.slug} />;
}

export function TokensPage() {
  const { workspace } = useWorkspace();
  return <TokensPanel slug={workspace.slug} workspaceId={workspace.id} isAdmin={workspace.viewerRole === 'ADMIN'} />;
}

export function SchedulesPage() {
  const { workspace } = useWorkspace();
  return <SchedulesPanel slug={workspace.slug} cannotEdit={cannotEditSchedulesReason(workspace.viewerRole)} />;
}

export function EventsPage() {
  const { workspace } = useWorkspace();
  return (
    <EventsPanel
      slug={workspace.slug}
      workspaceId={workspace.id}
      cannotSend={cannotSendEventsReason(workspace.viewerRole)}
    />
  );
}
