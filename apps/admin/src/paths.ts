// The console's URLs as the pages link to them, apart from the route table (routes.tsx) that imports
// those pages, so that no page imports its own router.

/**
 * The workspace's sections in the navigation, in order. `adminOnly` ones stay in view for everyone,
 * marked as such, and open on a page saying who may read them: nothing is silently missing.
 */
export const NAV_SECTIONS: { path: string; label: string; adminOnly?: boolean }[] = [
  { path: 'runs', label: 'Runs' },
  { path: 'analytics', label: 'Analytics' },
  { path: 'approvals', label: 'Approvals' },
  { path: 'plans', label: 'Plans' },
  { path: 'schedules', label: 'Schedules' },
  { path: 'events', label: 'Events' },
  { path: 'members', label: 'Members' },
  { path: 'audit', label: 'Audit log', adminOnly: true },
  { path: 'tokens', label: 'API tokens' },
  { path: 'marketplace', label: 'Marketplace' },
  { path: 'tools', label: 'Tools' },
  { path: 'secrets', label: 'Secrets' },
];

/** URL helpers, so links are written one way. Ids are global ids (base64), hence the encoding. */
export const paths = {
  runs: (slug: string) => `/w/${encodeURIComponent(slug)}/runs`,
  run: (slug: string, id: string) => `/w/${encodeURIComponent(slug)}/runs/${encodeURIComponent(id)}`,
  approvals: (slug: string) => `/w/${encodeURIComponent(slug)}/approvals`,
  plans: (slug: string) => `/w/${encodeURIComponent(slug)}/plans`,
  plan: (slug: string, id: string) => `/w/${encodeURIComponent(slug)}/plans/${encodeURIComponent(id)}`,
  planVersion: (slug: string, id: string, number: number) =>
    `/w/${encodeURIComponent(slug)}/plans/${encodeURIComponent(id)}/versions/${number}`,
  newPlan: (slug: string) => `/w/${encodeURIComponent(slug)}/plans/new`,
  schedules: (slug: string) => `/w/${encodeURIComponent(slug)}/schedules`,
  events: (slug: string) => `/w/${encodeURIComponent(slug)}/events`,
  marketplace: (slug: string) => `/w/${encodeURIComponent(slug)}/marketplace`,
  plugin: (slug: string, name: string) => `/w/${encodeURIComponent(slug)}/marketplace/${encodeURIComponent(name)}`,
  tools: (slug: string) => `/w/${encodeURIComponent(slug)}/tools`,
  /** The analytics page, opened on one plan when given. */
  analytics: (slug: string, planId?: string) =>
    `/w/${encodeURIComponent(slug)}/analytics${planId === undefined ? '' : `?plan=${encodeURIComponent(planId)}`}`,
};
