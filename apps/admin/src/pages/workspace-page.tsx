import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { AUDIT_LOG, WORKSPACE } from '../graphql/operations.ts';
import { ExecutionsPanel } from './executions-panel.tsx';
import { type Member, MembersPanel } from './members-panel.tsx';

interface WorkspaceData {
  workspace: {
    id: string;
    name: string;
    viewerRole: string;
    members: { edges: { node: Member }[] };
    plans: {
      edges: { node: { id: string; name: string; latestVersion: { number: number; message: string | null } } }[];
    };
  } | null;
}

interface AuditData {
  workspace: {
    auditLog: {
      edges: {
        node: { id: string; action: string; targetId: string | null; at: string; actor: { email: string } | null };
      }[];
    };
  } | null;
}

const TABS = ['Executions', 'Plans', 'Members', 'Audit log'] as const;

function AuditPanel({ slug }: { slug: string }) {
  const { data, error } = useQuery<AuditData>(AUDIT_LOG, { variables: { slug } });
  if (error) return <p className="error">{error.message}</p>;
  return (
    <table>
      <tbody>
        {data?.workspace?.auditLog.edges.map(({ node }) => (
          <tr key={node.id}>
            <td>{new Date(node.at).toLocaleString()}</td>
            <td>{node.actor?.email ?? 'system'}</td>
            <td>{node.action}</td>
            <td>{node.targetId}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function WorkspacePage({ slug }: { slug: string }) {
  const { data, loading, error, refetch } = useQuery<WorkspaceData>(WORKSPACE, { variables: { slug } });
  const [tab, setTab] = useState<(typeof TABS)[number]>('Executions');
  if (loading) return <p>Loading…</p>;
  if (error) return <p className="error">{error.message}</p>;
  const ws = data?.workspace;
  if (!ws) return <p className="error">Workspace not found.</p>;
  const isAdmin = ws.viewerRole === 'ADMIN';
  const tabs = TABS.filter((t) => t !== 'Audit log' || isAdmin);
  return (
    <section>
      <h2>
        {ws.name} <small>({ws.viewerRole.toLowerCase()})</small>
      </h2>
      <nav>
        {tabs.map((t) => (
          <button key={t} type="button" className={t === tab ? 'active' : ''} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </nav>
      {tab === 'Executions' && (
        <ExecutionsPanel slug={slug} workspaceId={ws.id} canOperate={ws.viewerRole !== 'VIEWER'} />
      )}
      {tab === 'Plans' && (
        <ul>
          {ws.plans.edges.map(({ node }) => (
            <li key={node.id}>
              {node.name} — v{node.latestVersion.number} {node.latestVersion.message}
            </li>
          ))}
        </ul>
      )}
      {tab === 'Members' && (
        <MembersPanel
          workspaceId={ws.id}
          isAdmin={isAdmin}
          members={ws.members.edges.map((e) => e.node)}
          onChange={() => void refetch()}
        />
      )}
      {tab === 'Audit log' && <AuditPanel slug={slug} />}
    </section>
  );
}
