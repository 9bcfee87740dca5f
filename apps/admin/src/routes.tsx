import { Navigate, type RouteObject } from 'react-router';
import { WorkspaceLayout } from './layout/workspace-layout.tsx';
import { MarketplacePage } from './marketplace/marketplace-page.tsx';
import { PluginPage } from './marketplace/plugin-page.tsx';
import { SecretsPage } from './marketplace/secrets-page.tsx';
import { ToolsPage } from './marketplace/tools-page.tsx';
import { ApprovalsPage } from './pages/approvals-page.tsx';
import { PlanNewPage } from './pages/plan-new-page.tsx';
import { PlanPage } from './pages/plan-page.tsx';
import { PlanVersionPage } from './pages/plan-version-page.tsx';
import { PlansListPage } from './pages/plans-list-page.tsx';
import { RunPage } from './pages/run-page.tsx';
import { RunsPage } from './pages/runs-page.tsx';
import { AuditPage, EventsPage, MembersPage, SchedulesPage, TokensPage } from './pages/workspace-sections.tsx';
import { WorkspacesPage } from './pages/workspaces-page.tsx';

/**
 * Every page of the console and its URL, in one table (served under /admin/, see vite.config.ts;
 * the API answers index.html for any deep link). Pages of a workspace are children of
 * `w/:slug`; new sections add a line here and a link in NAV_SECTIONS (paths.ts).
 */
export const routes: RouteObject[] = [
  { path: '/', element: <WorkspacesPage /> },
  {
    path: '/w/:slug',
    element: <WorkspaceLayout />,
    children: [
      { index: true, element: <Navigate to="runs" replace /> },
      { path: 'runs', element: <RunsPage /> },
      { path: 'runs/:id', element: <RunPage /> },
      // Loaded when first opened: the chart library is most of its weight and no other page needs it.
      {
        path: 'analytics',
        lazy: async () => ({ Component: (await import('./pages/analytics-page.tsx')).AnalyticsPage }),
      },
      { path: 'approvals', element: <ApprovalsPage /> },
      { path: 'plans', element: <PlansListPage /> },
      { path: 'plans/new', element: <PlanNewPage /> },
      { path: 'plans/:id', element: <PlanPage /> },
      { path: 'plans/:id/versions/:number', element: <PlanVersionPage /> },
      { path: 'schedules', element: <SchedulesPage /> },
      { path: 'events', element: <EventsPage /> },
      { path: 'members', element: <MembersPage /> },
      { path: 'audit', element: <AuditPage /> },
      { path: 'tokens', element: <TokensPage /> },
      { path: 'marketplace', element: <MarketplacePage /> },
      { path: 'marketplace/:name', element: <PluginPage /> },
      { path: 'tools', element: <ToolsPage /> },
      { path: 'secrets', element: <SecretsPage /> },
    ],
  },
  { path: '*', element: <Navigate to="/" replace /> },
];
