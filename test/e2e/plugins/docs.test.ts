/**
 * docs/plugins.md works as written: its example files are extracted into a scratch project, tested
 * with `weft-plugin test` (the real sandbox), published with `weft-plugin publish` through a GraphQL
 * `publishPlugin` mutation backed by the marketplace, installed, and called through the plugin host.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { withTenant } from '@weft/db';
import { createPluginHost, installPlugin, type PluginHost, publishPluginVersion } from '@weft/plugin-host';
import { createTestDatabase, REPO_ROOT, type TestDatabase } from '@weft/test-utils';
import { GraphQLScalarType } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'node_modules', '.bin', 'weft-plugin');
const TOKEN = 'weft_test_token';

let db: TestDatabase;
let host: PluginHost;
let server: Server;
let apiUrl: string;
let project: string;
let workspaceId: string;
let userId: string;

/** Code blocks whose info string names a file (```ts file=src/index.ts). */
function exampleFiles(markdown: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of markdown.matchAll(/```\w+ file=(\S+)\n([\s\S]*?)```/g)) files.set(m[1] ?? '', m[2] ?? '');
  return files;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const ws = await db.pools.owner.query<{ id: string }>(
    "INSERT INTO workspaces (slug, name) VALUES ('docs', 'Docs') RETURNING id",
  );
  workspaceId = ws.rows[0]?.id ?? '';
  const user = await db.pools.owner.query<{ id: string }>(
    "INSERT INTO users (email, password_hash) VALUES ('author@example.com', 'x') RETURNING id",
  );
  userId = user.rows[0]?.id ?? '';

  // The publishPlugin mutation as the API exposes it, backed by the marketplace library.
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: /* GraphQL */ `
        scalar JSON
        type UserError { code: String! field: [String!] message: String! }
        type PluginVersion { id: ID! version: String! integrity: String! }
        type PluginVersionPayload { pluginVersion: PluginVersion userErrors: [UserError!]! }
        input PublishPluginInput { manifest: JSON! bundle: String! }
        type Query { ok: Boolean }
        type Mutation { publishPlugin(input: PublishPluginInput!): PluginVersionPayload! }
      `,
      resolvers: {
        JSON: new GraphQLScalarType({ name: 'JSON' }),
        Mutation: {
          publishPlugin: async (
            _: unknown,
            { input }: { input: { manifest: unknown; bundle: string } },
            { request }: { request: Request },
          ) => {
            if (request.headers.get('authorization') !== `Bearer ${TOKEN}`) throw new Error('UNAUTHENTICATED');
            return publishPluginVersion(db.pools.app, { ...input, publisherUserId: userId });
          },
        },
      },
    }),
  });
  server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  project = await mkdtemp(join(tmpdir(), 'weft-docs-plugin-'));
  const files = exampleFiles(await readFile(join(REPO_ROOT, 'docs', 'plugins.md'), 'utf8'));
  expect([...files.keys()]).toEqual(['src/index.ts', 'test/hello.test.ts']);
  for (const [file, content] of files) {
    await mkdir(dirname(join(project, file)), { recursive: true });
    await writeFile(join(project, file), content);
  }
  await writeFile(join(project, 'package.json'), '{ "name": "hello-plugin", "type": "module", "private": true }');
  // What `npm install @weft/plugin-sdk isolated-vm vitest` gives the author.
  await symlink(join(REPO_ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
  host = createPluginHost({ pools: db.pools, secretKey: 'd'.repeat(32), processes: 1 });
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await db?.drop();
  if (project !== undefined) await rm(project, { recursive: true, force: true });
});

it("runs the doc's tests in the real sandbox with `weft-plugin test`", async () => {
  const { stdout } = await run(process.execPath, [CLI, 'test', project], {
    cwd: project,
    env: { ...process.env, CI: '1' },
  });
  expect(stdout).toMatch(/2 passed/);
}, 60_000);

it('publishes with `weft-plugin publish`, installs with the kv grant, and the tool runs through the plugin host', async () => {
  const { stdout } = await run(process.execPath, [CLI, 'publish', project, '--api-url', apiUrl, '--token', TOKEN], {
    cwd: project,
  });
  const id = /published 1\.0\.0 as (\S+)/.exec(stdout)?.[1] ?? '';
  expect(id).toMatch(/^[0-9a-f-]{36}$/);

  // The token may also come from WEFT_TOKEN.
  const again = await run(process.execPath, [CLI, 'publish', project, '--api-url', apiUrl], {
    cwd: project,
    env: { ...process.env, WEFT_TOKEN: TOKEN },
  }).catch((error: { code: number; stderr: string }) => error);
  expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('VERSION_EXISTS') });

  const denied = await withTenant(db.pools.app, { workspaceId }, (c) =>
    installPlugin(c, workspaceId, { pluginVersionId: id, grantedCapabilities: [] }),
  );
  expect(denied.userErrors[0]?.message).toContain('which were not granted: kv');
  const installed = await withTenant(db.pools.app, { workspaceId }, (c) =>
    installPlugin(c, workspaceId, { pluginVersionId: id, grantedCapabilities: ['kv'] }),
  );
  expect(installed.userErrors).toEqual([]);

  const greet = (await host.listTools(workspaceId)).find((t) => t.name === 'hello.greet');
  const ctx = {
    workspaceId,
    executionId: 'e',
    stepId: 'hi',
    attempt: 1,
    mode: 'LIVE' as const,
    signal: new AbortController().signal,
    context: { get: async () => undefined, set: async () => {} },
    messages: { post: async () => {}, read: async () => [] },
    log: () => {},
  };
  await expect(greet?.run({ name: 'Ada' }, ctx)).resolves.toEqual({ greeting: 'Hello, Ada!', previous: null });
  await expect(greet?.run({ name: 'Grace' }, ctx)).resolves.toEqual({ greeting: 'Hello, Grace!', previous: 'Ada' });
});
