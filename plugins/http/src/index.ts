import { definePlugin, defineTool, NonRetriableError, RetryAfterError, Type } from '@weft/plugin-sdk';

const Request = Type.Object({
  url: Type.String({ description: 'http(s) URL; its host must be granted as `http:<host>`' }),
  method: Type.Optional(Type.String({ default: 'GET' })),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  /** A string is sent as is; anything else as JSON. */
  body: Type.Optional(Type.Unknown()),
  /** Header `Authorization: Bearer <secret>` from a granted workspace secret. */
  bearerSecret: Type.Optional(Type.String()),
  /** Fail the step on 4xx/5xx answers (default true); false returns them as output. */
  failOnError: Type.Optional(Type.Boolean()),
});

const Response = Type.Object({
  status: Type.Integer(),
  headers: Type.Record(Type.String(), Type.String()),
  body: Type.String(),
  json: Type.Optional(Type.Unknown()),
});

function retryAfterMs(value: string | undefined): number {
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 30_000;
}

export const request = defineTool({
  name: 'request',
  description: 'An HTTP request to a granted host. JSON answers are parsed into `json`.',
  input: Request,
  output: Response,
  dryRun: 'mock',
  run: async (input, ctx) => {
    const headers: Record<string, string> = { ...input.headers };
    let body: string | undefined;
    if (input.body !== undefined) {
      body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
      if (typeof input.body !== 'string' && headers['content-type'] === undefined)
        headers['content-type'] = 'application/json';
    }
    if (input.bearerSecret !== undefined) headers.authorization = `Bearer ${await ctx.secrets.get(input.bearerSecret)}`;
    const res = await ctx.fetch(input.url, {
      method: input.method ?? 'GET',
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    if (input.failOnError !== false) {
      if (res.status === 429 || res.status === 503) {
        throw new RetryAfterError(`HTTP ${res.status} from ${input.url}`, retryAfterMs(res.headers['retry-after']));
      }
      if (res.status >= 500) throw new Error(`HTTP ${res.status} from ${input.url}`);
      if (res.status >= 400) throw new NonRetriableError(`HTTP ${res.status} from ${input.url}: ${text.slice(0, 200)}`);
    }
    let json: unknown;
    if ((res.headers['content-type'] ?? '').includes('json')) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return { status: res.status, headers: res.headers, body: text, ...(json === undefined ? {} : { json }) };
  },
});

export default definePlugin({
  name: 'http',
  version: '1.0.0',
  description: 'HTTP requests to hosts an admin grants (http:<host>), with bearer tokens from workspace secrets.',
  optionalCapabilities: ['http:*', 'secrets:*'],
  tools: [request],
});
