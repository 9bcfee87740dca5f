// Every route of the console, in one list, for the checks that must hold on all of them
// (accessibility, phone width, screenshots: a11y.test.ts). A new page adds one line here.

/** Records the test creates, for routes that show one of them. */
export interface PageIds {
  /** A run that succeeded. */
  succeededRun: string;
  /** A run that failed (its failed step's error in view). */
  failedRun: string;
  /** A plan with a version, opened on the plans page. */
  plan: string;
}

export interface ConsolePage {
  /** Unique; names the screenshot files. */
  name: string;
  /** The URL under /admin. */
  path: (slug: string, ids: PageIds) => string;
  /** A Playwright selector in view once the page has loaded what it shows, whatever the viewer's role. */
  ready: string;
  /** Shown signed out (the log-in form), rather than as a signed-in user. */
  signedOut?: boolean;
}

const w = (slug: string, rest: string) => `/w/${encodeURIComponent(slug)}/${rest}`;

export const CONSOLE_PAGES: ConsolePage[] = [
  { name: 'login', path: () => '/', ready: 'role=heading[name="Log in"]', signedOut: true },
  { name: 'workspaces', path: () => '/', ready: 'role=table[name="Workspaces"]' },
  { name: 'runs', path: (slug) => w(slug, 'runs'), ready: 'role=table[name="Runs"]' },
  {
    name: 'run-succeeded',
    path: (slug, ids) => w(slug, `runs/${encodeURIComponent(ids.succeededRun)}`),
    ready: '.step-node[data-status="SUCCEEDED"]',
  },
  {
    name: 'run-failed',
    path: (slug, ids) => w(slug, `runs/${encodeURIComponent(ids.failedRun)}`),
    ready: '.step-node[data-status="FAILED"]',
  },
  { name: 'approvals', path: (slug) => w(slug, 'approvals'), ready: 'role=list[name="Pending approvals"]' },
  { name: 'plans', path: (slug) => w(slug, 'plans'), ready: 'role=table[name="Plans"]' },
  {
    name: 'plan',
    path: (slug, ids) => w(slug, `plans/${encodeURIComponent(ids.plan)}`),
    ready: '.step-node',
  },
  {
    name: 'plan-version',
    path: (slug, ids) => w(slug, `plans/${encodeURIComponent(ids.plan)}/versions/1`),
    ready: '.step-node',
  },
  { name: 'plan-new', path: (slug) => w(slug, 'plans/new'), ready: 'role=form[name="Describe it"]' },
  { name: 'analytics', path: (slug) => w(slug, 'analytics'), ready: 'role=group[name="What to show"]' },
  { name: 'marketplace', path: (slug) => w(slug, 'marketplace'), ready: 'css=.plugin-card' },
  // A first-party plugin: every server publishes them at start-up.
  { name: 'plugin', path: (slug) => w(slug, 'marketplace/transform'), ready: 'role=region[name="Capabilities"]' },
  { name: 'tools', path: (slug) => w(slug, 'tools'), ready: 'css=.tool-card' },
  { name: 'secrets', path: (slug) => w(slug, 'secrets'), ready: 'role=form[name="Set a secret"]' },
  { name: 'schedules', path: (slug) => w(slug, 'schedules'), ready: 'role=table[name="Schedules"]' },
  { name: 'events', path: (slug) => w(slug, 'events'), ready: 'role=table[name="Recent events"]' },
  { name: 'members', path: (slug) => w(slug, 'members'), ready: 'role=table[name="Members"]' },
  {
    name: 'audit',
    path: (slug) => w(slug, 'audit'),
    // Its rows for an admin; for anyone else, the page saying only admins read it.
    ready: 'css=table[aria-label="Audit log"] tbody tr, .admins-only',
  },
  { name: 'tokens', path: (slug) => w(slug, 'tokens'), ready: 'role=table[name="Your tokens"]' },
];
