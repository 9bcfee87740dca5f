import { useQuery } from '@apollo/client/react';
import { Badge, Group, Title } from '@mantine/core';
import { NavLink, Outlet, useLocation, useOutletContext, useParams } from 'react-router';
import { usePageTitle } from '../components/page-title.ts';
import { ErrorNote, Loading } from '../components/states.tsx';
import type { WorkspaceQuery } from '../graphql/generated/graphql.ts';
import { VIEWER, WORKSPACE } from '../graphql/operations.ts';
import { NAV_SECTIONS } from '../paths.ts';

export type Workspace = NonNullable<WorkspaceQuery['workspace']>;
export interface WorkspaceOutlet {
  workspace: Workspace;
  viewerId: string | undefined;
  refetch: () => Promise<unknown>;
}

/** The pages of a workspace read it (and the viewer's role in it) from here. */
export function useWorkspace(): WorkspaceOutlet {
  return useOutletContext<WorkspaceOutlet>();
}

/** A workspace's frame: its name, the viewer's role, the section links, and the section's page. */
export function WorkspaceLayout() {
  const { slug = '' } = useParams();
  const { data, loading, error, refetch } = useQuery(WORKSPACE, { variables: { slug } });
  const viewer = useQuery(VIEWER);
  // The section is the URL's segment after the slug (/w/:slug/<section>/...).
  const segment = useLocation().pathname.split('/')[3];
  usePageTitle(NAV_SECTIONS.find((s) => s.path === segment)?.label, data?.workspace?.name);
  if (loading && !data) return <Loading what="the workspace" />;
  if (error) return <ErrorNote error={error} />;
  const ws = data?.workspace;
  if (!ws) return <p className="error">Workspace not found, or you are not a member of it.</p>;
  const isAdmin = ws.viewerRole === 'ADMIN';
  const outlet: WorkspaceOutlet = { workspace: ws, viewerId: viewer.data?.viewer?.id, refetch: () => refetch() };
  return (
    <section>
      <Group gap="sm" mb="xs" wrap="wrap">
        <Title order={2}>{ws.name}</Title>
        <Badge variant="light" className="role">
          your role: {ws.viewerRole}
        </Badge>
      </Group>
      <nav aria-label="Workspace sections" className="sections">
        {NAV_SECTIONS.map((s) => (
          <NavLink key={s.path} to={s.path} end={false}>
            {s.label}
            {s.adminOnly === true && !isAdmin && <small className="nav-note"> (admins only)</small>}
          </NavLink>
        ))}
      </nav>
      <Outlet context={outlet} />
    </section>
  );
}
