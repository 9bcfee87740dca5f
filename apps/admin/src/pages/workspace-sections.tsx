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
  if (workspace.viewerRole !== 'ADMIN') return <p className="hint">Only admins can read the audit log.</p>;
  return <AuditPanel slug={workspace.slug} />;
}

export function TokensPage() {
  const { workspace } = useWorkspace();
  return <TokensPanel slug={workspace.slug} workspaceId={workspace.id} isAdmin={workspace.viewerRole === 'ADMIN'} />;
}

export function SchedulesPage() {
  const { workspace } = useWorkspace();
  return <SchedulesPanel slug={workspace.slug} canEdit={workspace.viewerRole !== 'VIEWER'} />;
}

export function EventsPage() {
  const { workspace } = useWorkspace();
  return <EventsPanel slug={workspace.slug} workspaceId={workspace.id} canSend={workspace.viewerRole !== 'VIEWER'} />;
}
