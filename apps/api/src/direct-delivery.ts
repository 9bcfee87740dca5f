import type { ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';

/**
 * Results of shared subscriptions sent straight to their graphql-ws socket.
 *
 * graphql-ws delivers a result by awaiting the stream, then its send, through every envelop
 * wrapper, and serialises the message anew for each subscriber: with a thousand subscribers of
 * one run that was most of an event's fan-out. For a subscription whose results are shared (see
 * use-shared-event-results.ts), the stream given to graphql-ws yields nothing: a pump reads the
 * source and writes each result's message itself, with the payload serialised once per result.
 * graphql-ws still owns the subscription: it starts the pump (its first `next()`), stops it
 * (`return()` on `complete` or close) and sends `complete` or `error` when the stream ends, after
 * every message the pump wrote (same socket, same order).
 */

interface Sink {
  /** The message up to its payload: `{"id":<id>,"type":"next","payload":`, encoded once. */
  head: Buffer;
  ws: WebSocket;
}

const sinks = new WeakMap<object, Sink>();

/** Marks an operation's context as a graphql-ws subscription `id` on `ws`, which may be sent directly. */
export function allowDirectDelivery(contextValue: object, id: string, ws: WebSocket): void {
  sinks.set(contextValue, { head: Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`), ws });
}

const TAIL = Buffer.from('}');

/**
 * The payload of each shared result (what graphql-ws would write for it), serialised and encoded
 * once: each socket's message is then its head, this and `}` copied together, with no string to
 * measure and encode per socket.
 */
const payloads = new WeakMap<ExecutionResult, Buffer>();

function payloadBytes(result: ExecutionResult, prepare: (r: ExecutionResult) => ExecutionResult): Buffer {
  let bytes = payloads.get(result);
  if (bytes === undefined) {
    // graphql-ws's payload: the result, `errors` only when there are any (each by its toJSON).
    const { errors, ...rest } = prepare(result);
    bytes = Buffer.from(JSON.stringify(errors === undefined ? rest : { ...rest, errors }));
    payloads.set(result, bytes);
  }
  return bytes;
}

/** A text frame (graphql-ws reads text) from bytes ws need not convert. */
const TEXT = { binary: false };

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * The stream to hand graphql-ws for a subscription marked by `allowDirectDelivery` (undefined for
 * any other): `toResult` maps each source event to its (shared) result, `prepare` readies a result
 * for the client (error masking) once per result.
 */
export function directStream(
  contextValue: unknown,
  source: AsyncIterator<unknown>,
  toResult: (event: unknown) => ExecutionResult | Promise<ExecutionResult>,
  prepare: (result: ExecutionResult) => ExecutionResult,
): AsyncIterableIterator<ExecutionResult> | undefined {
  const sink = typeof contextValue === 'object' && contextValue !== null ? sinks.get(contextValue) : undefined;
  if (sink === undefined) return undefined;
  const { ws, head } = sink;
  let started = false;
  let stopped = false;
  let settle: { resolve(r: IteratorResult<ExecutionResult>): void; reject(e: unknown): void } | null = null;
  const ended = new Promise<IteratorResult<ExecutionResult>>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const finish = (error?: unknown) => {
    if (stopped) return;
    stopped = true;
    if (error === undefined) settle?.resolve(DONE);
    else settle?.reject(error);
  };

  const deliver = (result: ExecutionResult) => {
    if (stopped) return;
    // As graphql-ws's ws adapter: nothing goes to a socket that is no longer open (its close
    // returns the stream).
    if (ws.readyState !== ws.OPEN) return;
    let acknowledged = false;
    let waiting = false;
    const payload = payloadBytes(result, prepare);
    const message = Buffer.concat([head, payload, TAIL], head.length + payload.length + 1);
    ws.send(message, TEXT, (error) => {
      acknowledged = true;
      if (error !== undefined && error !== null) return; // the socket fails and closes: return() follows
      if (waiting) pump();
    });
    // Small backlogs are acknowledged at once (coalesced-writes.ts); a slow client's wait holds back
    // only its own stream.
    if (acknowledged) pump();
    else waiting = true;
  };

  const pump = () => {
    if (stopped) return;
    source.next().then((item) => {
      if (stopped) return;
      if (item.done === true) return finish();
      try {
        const result = toResult(item.value);
        if (result instanceof Promise) result.then(deliver, finish);
        else deliver(result);
      } catch (error) {
        finish(error);
      }
    }, finish);
  };

  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next() {
      // graphql-ws asks only once the subscription is registered (not when already completed).
      if (!started) {
        started = true;
        pump();
      }
      return ended;
    },
    async return() {
      finish();
      await source.return?.();
      return DONE;
    },
    async throw(error: unknown) {
      finish();
      await source.return?.();
      throw error;
    },
  };
}
