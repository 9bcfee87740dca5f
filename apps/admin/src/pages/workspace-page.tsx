import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { describeError } from '../errors.ts';
import { VIEWER, WORKSPACE } from '../graphql/operations.ts';
import { AuditPanel } from './audit-panel.tsx';
import { EventsPanel } from './events-panel.tsx';
import { ExecutionsPanel } from './executions-panel.tsx';
import { MembersPanel } from './members-panel.tsx';
import { PlansPanel } from './plans-panel.tsx';
import { SchedulesPanel } from './schedules-panel.tsx';
import { TokensPanel } from './tokens-panel.tsx';

const TABS = ['Members', 'Plans', 'Executions', 'Schedules', 'Events', 'Audit log', 'API tokens'] as const;
type Tab = (typeof TABS)[number];

export function WorkspacePage({ slug }: { slug: string }) {
  const { data, loading, error, refetch } = useQuery(WORKSPACE, { variables: { slug } });
  const viewer = useQuery(VIEWER);
  const [tab, setTab] = useState<Tab>('Members');
  if (loading && !data) return <p>Loading…</p>;
  if (error) return <p className="error">{describeError(error)}</p>;
  const ws = data?.workspace;
  if (!ws) return <p className="error">Workspace not found, or you are not a member of it.</p>;
  const isAdmin = ws.viewerRole === 'ADMIN';
  // The audit log is for admins (the API answers FORBIDDEN to everyone else).
  const tabs = TABS.filter((t) => t !== 'Audit log' || isAdmin);
  return (
    <section>
      <h2>
        {ws.name} <small className="role">your role: {ws.viewerRole}</small>
      </h2>
      <nav aria-label="Workspace sections">
        {tabs.map((t) => (
          <button
            key={t}
            type="button"
            className={t === tab ? 'active' : ''}
            aria-pressed={t === tab}
            onClick={() => setTab(t)}
          >
            {t}
          </button>
        ))}
      </nav>
      {tab === 'Members' && (
        <MembersPanel
          workspaceId={ws.id}
          isAdmin={isAdmin}
          viewerId={viewer.data?.viewer?.id}
          members={ws.members.edges.map((e) => e.node)}
          onChange={() => refetch()}
        />
      )}
      {tab === 'Plans' && <PlansPanel slug={slug} canRun={ws.viewerRole !== 'VIEWER'} />}
      {tab === 'Executions' && <ExecutionsPanel slug={slug} workspaceId={ws.id} viewerRole={ws.viewerRole} />}
      {tab === 'Schedules' && <SchedulesPanel slug={slug} canEdit={ws.viewerRole !== 'VIEWER'} />}
      {tab === 'Events' && <EventsPanel slug={slug} workspaceId={ws.id} canSend={ws.viewerRole !== 'VIEWER'} />}
      {tab === 'Audit log' && <AuditPanel slug={slug} />}
      {tab === 'API tokens' && <TokensPanel workspaceId={ws.id} />}
    </section>
  );
}
