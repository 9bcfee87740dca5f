/** The llm plugin end to end: sandbox → host capability `llm` → openai SDK → an OpenAI-protocol server. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withTenant } from '@weft/db';
import { createTestDatabase, type TestDatabase } from '@weft/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { publishFirstPartyPlugins } from './first-party.ts';
import { getPluginVersion, installPlugin, searchMarketplace } from './marketplace.ts';
import { createPluginHost, type PluginHost } from './plugin-host.ts';
import { createWorkspace, toolContext, toolNamed } from './test-support.ts';

let db: TestDatabase;
let host: PluginHost;
let server: Server;
let ws: string;
let wsWithout: string;
const requests: {
  path: string;
  auth: string | undefined;
  body: { model: string; messages: unknown[]; max_tokens?: number };
}[] = [];

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  // A small server speaking the chat-completions protocol, as a local LLM server would.
  server = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req));
    requests.push({ path: req.url ?? '', auth: req.headers.authorization, body });
    const last = body.messages.at(-1)?.content ?? '';
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: body.model,
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: `echo: ${last}` } }],
        usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  db = await createTestDatabase();
  ws = await createWorkspace(db.pools, 'llm-yes');
  wsWithout = await createWorkspace(db.pools, 'llm-no');
  await publishFirstPartyPlugins(db.pools);
  const llm = (await searchMarketplace(db.pools.app, { search: 'llm' })).edges.find((e) => e.node.name === 'llm');
  const versionId = llm?.node.versions[0]?.id ?? '';
  expect(await getPluginVersion(db.pools.app, versionId)).toMatchObject({ capabilities: ['llm'] });
  const installed = await withTenant(db.pools.app, { workspaceId: ws }, (c) =>
    installPlugin(c, ws, { pluginVersionId: versionId, grantedCapabilities: ['llm'] }),
  );
  expect(installed.userErrors).toEqual([]);
  host = createPluginHost({
    pools: db.pools,
    secretKey: 'x'.repeat(32),
    processes: 1,
    llm: { apiKey: 'sk-test', baseURL: `http://127.0.0.1:${port}/v1`, model: 'tiny-model' },
  });
});

afterAll(async () => {
  await host?.stop();
  await db?.drop();
  await new Promise((resolve) => server?.close(resolve));
});

it('completes through the host LLM configuration with the openai SDK', async () => {
  const tools = await host.listTools(ws);
  const output = await toolNamed(tools, 'llm.complete').run(
    { prompt: 'Summarise the invoices', system: 'Be brief', maxTokens: 50 },
    toolContext(ws),
  );
  expect(output).toEqual({
    text: 'echo: Summarise the invoices',
    model: 'tiny-model',
    usage: { promptTokens: 7, completionTokens: 3 },
  });
  expect(requests).toEqual([
    {
      path: '/v1/chat/completions',
      auth: 'Bearer sk-test',
      body: expect.objectContaining({
        model: 'tiny-model',
        max_tokens: 50,
        messages: [
          { role: 'system', content: 'Be brief' },
          { role: 'user', content: 'Summarise the invoices' },
        ],
      }),
    },
  ]);
  // The API key stays in the host: the sandboxed plugin never sees it.
  expect(JSON.stringify(output)).not.toContain('sk-test');
});

it('installs in no workspace by default: a workspace that did not install it has no llm tools', async () => {
  expect(await host.listTools(wsWithout)).toEqual([]);
});
