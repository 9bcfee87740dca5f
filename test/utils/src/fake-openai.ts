import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake received, as the client sent it. */
export interface FakeOpenAIRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body (chat-completions parameters). */
  body: Record<string, unknown>;
}

/** How the fake answers one request. */
export type FakeOpenAIReply =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  /** Accept the request and never answer (until the server closes). */
  | { kind: 'hang' };

export type FakeOpenAIScript = (request: FakeOpenAIRequest, index: number) => FakeOpenAIReply;

export interface FakeOpenAI {
  /** Base URL for the openai SDK (`.../v1`). */
  baseURL: string;
  /** Every request received so far, in order. */
  requests: FakeOpenAIRequest[];
  close(): Promise<void>;
}

/** A chat completion whose assistant message is `content` (objects are JSON-encoded). */
export function chatCompletion(
  content: string | object,
  usage: { prompt_tokens: number; completion_tokens: number } = { prompt_tokens: 100, completion_tokens: 50 },
): FakeOpenAIReply {
  return {
    kind: 'json',
    status: 200,
    body: {
      id: `chatcmpl-fake-${Math.random().toString(36).slice(2)}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: 'fake-model',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: typeof content === 'string' ? content : JSON.stringify(content),
            refusal: null,
          },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
  };
}

/** An OpenAI-style error answer (e.g. 429 with `retry-after`). */
export function errorReply(status: number, message: string, headers: Record<string, string> = {}): FakeOpenAIReply {
  return {
    kind: 'json',
    status,
    headers,
    body: { error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'server_error', code: null } },
  };
}

interface Completion {
  id: string;
  created: number;
  model: string;
  choices: Array<{ message: { content: string } }>;
  usage?: unknown;
}

function isCompletion(body: unknown): body is Completion {
  return typeof body === 'object' && body !== null && (body as { object?: unknown }).object === 'chat.completion';
}

/** `stream: true`: the same answer as server-sent `chat.completion.chunk` events, then `[DONE]`. */
function streamCompletion(res: ServerResponse, completion: Completion, params: Record<string, unknown>): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id: completion.id, object: 'chat.completion.chunk', created: completion.created, model: completion.model, choices, ...extra })}\n\n`;
  const content = completion.choices[0]?.message.content ?? '';
  // Two content pieces, so clients that stream are shown to join deltas.
  const half = Math.ceil(content.length / 2);
  res.write(chunk([{ index: 0, delta: { role: 'assistant', content: content.slice(0, half) }, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: { content: content.slice(half) }, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  const options = params.stream_options as { include_usage?: boolean } | undefined;
  if (options?.include_usage) res.write(chunk([], { usage: completion.usage }));
  res.end('data: [DONE]\n\n');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A real HTTP server on 127.0.0.1 (random port) speaking the chat-completions protocol, answering
 * from a script: an array of replies used in order (the last one repeats), or a function of the
 * request. Tests point the openai SDK's `baseURL` at it. Requests with `stream: true` get the
 * scripted completion as server-sent chunks.
 */
export async function startFakeOpenAI(script: FakeOpenAIReply[] | FakeOpenAIScript): Promise<FakeOpenAI> {
  const requests: FakeOpenAIRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const answer = (request: FakeOpenAIRequest, index: number): FakeOpenAIReply => {
    if (typeof script === 'function') return script(request, index);
    const reply = script[Math.min(index, script.length - 1)];
    return reply ?? errorReply(500, 'fake-openai: empty script');
  };
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      let body: Record<string, unknown> = {};
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'fake-openai: body is not JSON' } }));
        return;
      }
      const request: FakeOpenAIRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
      };
      const index = requests.push(request) - 1;
      if (request.method !== 'POST' || !request.path.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `fake-openai: no route ${request.method} ${request.path}` } }));
        return;
      }
      const reply = answer(request, index);
      if (reply.kind === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (request.body.stream === true && reply.status === 200 && isCompletion(reply.body)) {
        streamCompletion(res, reply.body, request.body);
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(JSON.stringify(reply.body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
