import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

// A subscription as a client app sees it, over graphql-ws or over SSE: every result in order,
// whether the server completed it, and a way to wait for a result without fixed sleeps.

export interface StreamResult {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: unknown } }[];
}

export class Stream {
  readonly results: StreamResult[] = [];
  /** When the server completed the stream (or the transport closed), else null. */
  completedAt: number | null = null;
  transportError: unknown = null;
  private waiters: Array<() => void> = [];

  constructor(readonly close: () => void) {}

  push(result: StreamResult): void {
    this.results.push(result);
    this.wake();
  }

  end(error?: unknown): void {
    if (error !== undefined) this.transportError = error;
    this.completedAt ??= Date.now();
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** The `data[field]` of each result that has one. */
  items<T>(field: string): T[] {
    return this.results.flatMap((r) => (r.data?.[field] ? [r.data[field] as T] : []));
  }

  /** Waits until `done(this)` holds; fails after `timeoutMs` with what arrived so far. */
  async until(done: (stream: Stream) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this)) {
      if (this.completedAt !== null) {
        throw new Error(`stream ended first: ${JSON.stringify({ results: this.results, error: this.transportError })}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; received ${JSON.stringify(this.results)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the server to end the stream. */
  async ended(timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.completedAt === null) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`stream still open; received ${JSON.stringify(this.results)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.completedAt;
  }
}

/** One graphql-ws connection carrying any number of subscriptions (graphql-ws multiplexes them). */
export interface WsConnection {
  subscribe(query: string, variables: Record<string, unknown>): Stream;
  close(): void;
}

export function wsConnection(apiUrl: string, token: string): WsConnection {
  const client = createClient({
    url: `${apiUrl.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  const close = () => void client.dispose();
  return {
    close,
    subscribe(query, variables) {
      const stream = new Stream(close);
      client.subscribe<Record<string, unknown>>(
        { query, variables },
        {
          next: (result) => stream.push(result as StreamResult),
          error: (error) => stream.end(error),
          complete: () => stream.end(),
        },
      );
      return stream;
    },
  };
}

/** One subscription over its own graphql-ws connection. */
export function wsStream(apiUrl: string, token: string, query: string, variables: Record<string, unknown>): Stream {
  return wsConnection(apiUrl, token).subscribe(query, variables);
}

/** One subscription as GraphQL over SSE (`GET /graphql`, `Accept: text/event-stream`). */
export function sseStream(apiUrl: string, token: string, query: string, variables: Record<string, unknown>): Stream {
  const controller = new AbortController();
  const stream = new Stream(() => controller.abort());
  const url = `${apiUrl}/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(variables))}`;
  void (async () => {
    const res = await fetch(url, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    const reader = res.body?.getReader();
    if (reader === undefined) throw new Error('no body');
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let at = buffer.indexOf('\n\n');
      while (at >= 0) {
        const message = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        at = buffer.indexOf('\n\n');
        const lines = message.split('\n');
        const event = lines
          .find((l) => l.startsWith('event:'))
          ?.slice(6)
          .trim();
        const data = lines
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('\n');
        if (event === 'next') stream.push(JSON.parse(data) as StreamResult);
        if (event === 'complete') stream.end();
      }
    }
    stream.end();
  })().catch((error: unknown) => stream.end(controller.signal.aborted ? undefined : error));
  return stream;
}
