/**
 * Capability handlers with every check applied: which hosts, which secrets, kv on or off. The
 * backends (where secrets and kv live, the LLM) differ between production and tests; the checks
 * do not.
 */
import { httpAllowed, secretAllowed } from './capabilities.ts';
import {
  createEgressPolicy,
  EgressDeniedError,
  type EgressPolicy,
  type EgressRequest,
  egressFetch,
} from './egress/index.ts';
import { CapabilityError, SandboxErrorCode } from './errors.ts';
import type { CallHandlers, CapabilityHandler } from './pool.ts';

/** @public Where capability calls are served from, once allowed. */
export interface CapabilityBackends {
  /**
   * A secret of the installation's workspace, or undefined when it is not set: its plaintext, or the
   * plaintext with the hosts it may be sent to (see {@link SecretValue}).
   */
  secret(name: string): Promise<string | SecretValue | undefined>;
  kv: {
    get(key: string): Promise<unknown>;
    set(key: string, value: unknown): Promise<void>;
    delete(key: string): Promise<boolean>;
  };
  context: { get(key: string): Promise<unknown>; set(key: string, value: unknown): Promise<void> };
  llm?(
    request: LlmCall,
  ): Promise<{ text: string; model: string; usage?: { promptTokens: number; completionTokens: number } }>;
  log?(level: string, message: string, data: unknown): void;
  /**
   * Where `ctx.fetch` may connect (EGRESS_ALLOW); default: public addresses only. Checked on the
   * resolved address of every hop.
   */
  egress?: EgressPolicy;
  /** Override for tests of the host itself (no egress check then); defaults to the egress-checked fetch. */
  fetch?: typeof fetch;
}

/**
 * @public A secret with the hosts it may be sent to: `http:` grant targets (`api.example.com`,
 * `*.example.com`, `host:port`, `*`). `null`: the hosts the installation's `http:` grants name,
 * except the catch-all `http:*` (so a secret never goes everywhere unless someone said so).
 */
export interface SecretValue {
  value: string;
  allowedHosts: readonly string[] | null;
}

/** @public A validated LLM request as the backend receives it. */
export interface LlmCall {
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  maxTokens?: number;
  temperature?: number;
}

/** @public Limits of capability calls. */
export interface CapabilityLimits {
  maxResponseBytes: number;
  maxRedirects: number;
  fetchTimeoutMs: number;
  /** Characters of JSON in one kv value or one value of the run's shared context. */
  maxKvValueBytes: number;
  /** Characters of one kv key or context key. */
  maxKvKeyLength: number;
}

const DEFAULT_CAPABILITY_LIMITS: CapabilityLimits = {
  maxResponseBytes: 5_000_000,
  maxRedirects: 5,
  fetchTimeoutMs: 15_000,
  maxKvValueBytes: 256_000,
  maxKvKeyLength: 256,
};

function denied(message: string): CapabilityError {
  return new CapabilityError(SandboxErrorCode.CAPABILITY_DENIED, message);
}

function record(args: unknown): Record<string, unknown> {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw denied('arguments must be an object');
  return args as Record<string, unknown>;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw denied(`${what} must be a string`);
  return value;
}

async function readLimited(response: Response, max: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new CapabilityError(SandboxErrorCode.CAPABILITY_FAILED, `response body is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function egressInit(init: RequestInit | undefined): EgressRequest {
  const headers = init?.headers;
  return {
    ...(init?.method === undefined ? {} : { method: init.method }),
    ...(headers === undefined ? {} : { headers: new Headers(headers) }),
    ...(typeof init?.body === 'string' ? { body: init.body } : {}),
    ...(init?.signal == null ? {} : { signal: init.signal }),
  };
}

function base64Forms(value: string): string[] {
  const b64 = Buffer.from(value, 'utf8').toString('base64');
  return [b64.replace(/=+$/, ''), Buffer.from(value, 'utf8').toString('base64url')];
}

/**
 * Whether a request carries a secret's value: verbatim, URL-encoded or base64 in the URL, a header
 * or the body, or inside a Basic credential. Plugin code holding the plaintext could disguise it
 * further; this guards what plan authors can route through a plugin's inputs.
 */
export function carriesSecret(
  value: string,
  url: URL,
  headers: readonly (readonly [string, string])[],
  body: string | undefined,
): boolean {
  if (value.length === 0) return false;
  const parts = [url.href, safeDecode(url.href), body ?? ''];
  for (const [, v] of headers) {
    parts.push(v);
    const basic = /^\s*basic\s+(\S+)/i.exec(v);
    if (basic?.[1] !== undefined) parts.push(Buffer.from(basic[1], 'base64').toString('utf8'));
  }
  const forms = [value, encodeURIComponent(value), ...base64Forms(value)];
  return parts.some((part) => forms.some((form) => part.includes(form)));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** The hosts a secret may go to: its own list, or else the installation's named (not catch-all) hosts. */
function secretHostAllowed(secret: SecretValue, grants: readonly string[], url: URL): boolean {
  if (secret.allowedHosts === null)
    return httpAllowed(
      grants.filter((g) => g !== 'http:*'),
      url,
    );
  return httpAllowed(
    secret.allowedHosts.map((host) => `http:${host}`),
    url,
  );
}

/**
 * @public Builds the handlers for one call of an installation granted `grants`.
 * @example
 * const handlers = createCapabilityHandlers(['http:api.example.com', 'kv'], backends);
 * await pool.call({ plugin, tool: 'request', input, handlers });
 */
export function createCapabilityHandlers(
  grants: readonly string[],
  backends: CapabilityBackends,
  limitOverrides: Partial<CapabilityLimits> = {},
): CallHandlers {
  const limits = { ...DEFAULT_CAPABILITY_LIMITS, ...limitOverrides };
  const egress = backends.egress ?? createEgressPolicy();
  const doFetch =
    backends.fetch ?? ((url: string | URL, init?: RequestInit) => egressFetch(url, egressInit(init), egress));
  // Secrets this call has read: a request carrying one goes only to the hosts allowed for it.
  const revealed = new Map<string, SecretValue>();
  const requireGrant = (capability: string) => {
    if (!grants.includes(capability)) {
      throw denied(`capability "${capability}" was not granted to this installation`);
    }
  };
  // What a plugin stores (kv entries, the run's shared context) is bounded the same way, so one
  // call cannot grow a row without limit: keys by maxKvKeyLength, values by maxKvValueBytes.
  const storedKey = (args: unknown, what: string) => {
    const key = text(record(args).key, 'key');
    if (key.length === 0 || key.length > limits.maxKvKeyLength)
      throw denied(`${what} keys are 1–${limits.maxKvKeyLength} characters`);
    return key;
  };
  const storedValue = (args: unknown, what: string) => {
    const value = record(args).value ?? null;
    if (JSON.stringify(value).length > limits.maxKvValueBytes)
      throw denied(`${what} values are at most ${limits.maxKvValueBytes} characters of JSON`);
    return value;
  };
  const kvKey = (args: unknown) => {
    requireGrant('kv');
    return storedKey(args, 'kv');
  };

  const capabilities: Record<string, CapabilityHandler> = {
    async fetch(args) {
      const { url: rawUrl, init } = record(args);
      const options = init === undefined || init === null ? {} : record(init);
      const method = typeof options.method === 'string' ? options.method.toUpperCase() : 'GET';
      const headers = options.headers === undefined ? {} : record(options.headers);
      const body = options.body === undefined || options.body === null ? undefined : text(options.body, 'body');
      let url: URL;
      try {
        url = new URL(text(rawUrl, 'url'));
      } catch {
        throw denied(`invalid URL ${String(rawUrl)}`);
      }
      const headerList: [string, string][] = Object.entries(headers).map(([k, v]) => [k, String(v)]);
      // Redirects are followed here, one hop at a time, so each target is checked against the grants.
      for (let hop = 0; hop <= limits.maxRedirects; hop++) {
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw denied(`only http and https URLs are allowed`);
        if (!httpAllowed(grants, url)) {
          throw denied(`host ${url.host} was not granted (capability "http:${url.hostname}")`);
        }
        for (const [name, secret] of revealed) {
          if (carriesSecret(secret.value, url, headerList, body) && !secretHostAllowed(secret, grants, url)) {
            throw denied(`secret "${name}" may not be sent to ${url.host} (not among the hosts allowed for it)`);
          }
        }
        let response: Response;
        try {
          response = await doFetch(url, {
            method,
            headers: headerList,
            ...(body === undefined || method === 'GET' || method === 'HEAD' ? {} : { body }),
            redirect: 'manual',
            signal: AbortSignal.timeout(limits.fetchTimeoutMs),
          });
        } catch (error) {
          if (error instanceof EgressDeniedError) throw denied(error.message);
          throw error;
        }
        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location !== null) {
          await response.body?.cancel();
          url = new URL(location, url);
          continue;
        }
        const responseHeaders: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          responseHeaders[name] = value;
        });
        return {
          status: response.status,
          statusText: response.statusText,
          url: url.toString(),
          headers: responseHeaders,
          body: await readLimited(response, limits.maxResponseBytes),
        };
      }
      throw new CapabilityError(SandboxErrorCode.CAPABILITY_FAILED, `more than ${limits.maxRedirects} redirects`);
    },
    async 'secrets.get'(args) {
      const name = text(record(args).name, 'name');
      if (!secretAllowed(grants, name)) throw denied(`secret "${name}" was not granted (capability "secrets:${name}")`);
      const found = await backends.secret(name);
      if (found === undefined) {
        throw new CapabilityError(SandboxErrorCode.CAPABILITY_FAILED, `secret "${name}" is not set in this workspace`);
      }
      const secret = typeof found === 'string' ? { value: found, allowedHosts: null } : found;
      revealed.set(name, secret);
      return secret.value;
    },
    async 'kv.get'(args) {
      return backends.kv.get(kvKey(args));
    },
    async 'kv.set'(args) {
      const key = kvKey(args);
      await backends.kv.set(key, storedValue(args, 'kv'));
    },
    async 'kv.delete'(args) {
      return backends.kv.delete(kvKey(args));
    },
    async 'context.get'(args) {
      return backends.context.get(text(record(args).key, 'key'));
    },
    async 'context.set'(args) {
      const key = storedKey(args, 'context');
      await backends.context.set(key, storedValue(args, 'context'));
    },
    async 'llm.complete'(args) {
      requireGrant('llm');
      const llm = backends.llm;
      if (llm === undefined) {
        throw new CapabilityError(SandboxErrorCode.CAPABILITY_FAILED, 'no LLM is configured on this Weft server');
      }
      const request = record(args);
      const messages: LlmCall['messages'] = [];
      if (typeof request.system === 'string') messages.push({ role: 'system', content: request.system });
      if (Array.isArray(request.messages)) {
        for (const m of request.messages) {
          const message = record(m);
          const role = message.role;
          if (role !== 'system' && role !== 'user' && role !== 'assistant')
            throw denied('message roles are system, user or assistant');
          messages.push({ role, content: text(message.content, 'content') });
        }
      }
      if (typeof request.prompt === 'string') messages.push({ role: 'user', content: request.prompt });
      if (messages.length === 0) throw denied('a completion needs a prompt or messages');
      return llm({
        messages,
        ...(typeof request.maxTokens === 'number' ? { maxTokens: request.maxTokens } : {}),
        ...(typeof request.temperature === 'number' ? { temperature: request.temperature } : {}),
      });
    },
  };
  return {
    capabilities,
    ...(backends.log === undefined ? {} : { log: backends.log }),
  };
}
