// A first-party plugin installed in a workspace is callable from a plan: published at start-up,
// installed through the marketplace, validated by the engine, run in the sandbox of a real worker
// process. This is the path every third-party plugin takes too.
import { withTenant } from '@weft/db';
import { createEngine, type Engine, type PlanSpec } from '@weft/engine';
import { createPluginHost, installPlugin, type PluginHost, publishFirstPartyPlugins } from '@weft/plugin-host';
import {
  createPlanVersion,
  createTestDatabase,
  createWorkspace,
  startWorkerProcess,
  type TestDatabase,
  type WorkerProcess,
  waitForExecution,
} from '@weft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SECRET_KEY = 'plugin-tools-test-secret-key-0123456789';
let db: TestDatabase;
let engine: Engine;
let host: PluginHost;
let worker: WorkerProcess;
let ws: { workspaceId: string; userId: string };

beforeAll(async () => {
  db = await createTestDatabase({ poolMax: 6 });
  await publishFirstPartyPlugins(db.pools);
  // The test's engine validates and starts runs, as the API process does; the worker runs them.
  engine = createEngine({ pools: db.pools, stepLeaseMs: 5000 });
  host = createPluginHost({ pools: db.pools, secretKey: SECRET_KEY });
  engine.registerProvider(host);
  ws = await createWorkspace(db.pools);
  worker = await startWorkerProcess({ env: { DATABASE_URL: db.ownerUrl, SECRET_KEY } });
});

afterAll(async () => {
  await worker?.stop();
  await engine?.stop();
  await host?.stop();
  await db?.drop();
});

async function transformVersionId(): Promise<string> {
  const { rows } = await db.pools.app.query<{ id: string }>(
    "SELECT v.id FROM plugin_versions v JOIN plugins p ON p.id = v.plugin_id WHERE p.name = 'transform'",
  );
  const id = rows[0]?.id;
  if (id === undefined) throw new Error('transform plugin was not published');
  return id;
}

const spec: PlanSpec = {
  name: 'pick-fields',
  steps: [
    { id: 'user', tool: 'core.echo', input: { name: 'Ada', role: 'admin', password: 'hunter2' } },
    { id: 'public', tool: 'transform.pick', input: { value: '{{ steps.user.output }}', paths: ['name', 'role'] } },
  ],
};

describe('plugin tools in plans', () => {
  it('a plan calling a plugin that is not installed is rejected with the step path', async () => {
    const { issues } = await engine.validatePlan(ws.workspaceId, spec);
    expect(issues).toContainEqual(expect.objectContaining({ path: ['steps', '1', 'tool'] }));
  });

  it('once installed, the plugin tool validates and runs in the worker process sandbox', async () => {
    const pluginVersionId = await transformVersionId();
    const installed = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (client) =>
      installPlugin(client, ws.workspaceId, { pluginVersionId, grantedCapabilities: [] }),
    );
    expect(installed.userErrors).toEqual([]);
    expect((await engine.listTools(ws.workspaceId)).map((t) => t.name)).toContain('transform.pick');
    expect((await engine.validatePlan(ws.workspaceId, spec)).issues).toEqual([]);

    const planVersionId = await createPlanVersion(db.pools, ws.workspaceId, spec);
    const { executionId } = await withTenant(db.pools.app, { workspaceId: ws.workspaceId }, (client) =>
      engine.startExecution(client, ws.workspaceId, {
        planVersionId,
        actor: { userId: ws.userId, role: 'ADMIN' },
      }),
    );
    const run = await waitForExecution(db.pools, ws.workspaceId, executionId, undefined, 30_000);
    expect(run.status, JSON.stringify(run.steps)).toBe('SUCCEEDED');
    expect(run.steps.public?.output).toEqual({ name: 'Ada', role: 'admin' });
  });
});
