import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * Sockets holding writes until the event loop turns. Events often come in bursts (a worker
 * commits several steps of a run together, and one LISTEN read carries all their announcements):
 * sent one frame per write, a burst of n events to a thousand subscribers is n thousand system
 * calls, and those dominated the time to deliver it. Corked until the turn ends (or MAX_HOLD_MS),
 * each socket gets one write per burst; nothing waits for a timer, so a lone event is not delayed.
 */
const corked = new Set<Duplex>();
let flushScheduled = false;
let corkedSince = 0;
/**
 * The longest writes are held within one long turn (a backlog of events can keep the loop busy
 * for hundreds of milliseconds): past it they leave, so clients work while we go on. Delivery is
 * breadth-first (one event to every subscriber, then the next), and one such round to a thousand
 * sockets takes tens of milliseconds; 60 ms still batches about two messages per write and, in
 * the benchmark, halved p99 against holding to the end of the turn (20 ms did not batch at all).
 */
const MAX_HOLD_MS = 60;
/**
 * Below this much unsent data a send counts as done once buffered: graphql-ws waits for each
 * message's callback before taking the next event, which would otherwise hold a burst to one
 * event per turn. Above it the callback waits for the data to leave, so a slow client still
 * holds back its own stream instead of growing our memory.
 */
const EARLY_ACK_BYTES = 256 * 1024;

function flush(): void {
  flushScheduled = false;
  for (const socket of corked) socket.uncork();
  corked.clear();
}

type SendCallback = (err?: Error) => void;

/** Makes every message sent on `ws` in one turn of the event loop leave `socket` in one write. */
export function coalesceWrites(ws: WebSocket, socket: Duplex): void {
  const send = ws.send.bind(ws) as (data: unknown, options: object, cb?: SendCallback) => void;
  const coalescing = (
    data: unknown,
    optionsOrCallback?: { [option: string]: unknown } | SendCallback,
    callback?: SendCallback,
  ): void => {
    const options = typeof optionsOrCallback === 'object' ? optionsOrCallback : {};
    const cb: SendCallback | undefined = typeof optionsOrCallback === 'function' ? optionsOrCallback : callback;
    if (socket.destroyed) {
      send(data, options, cb);
      return;
    }
    if (corked.size > 0 && performance.now() - corkedSince > MAX_HOLD_MS) flush();
    if (!corked.has(socket)) {
      if (corked.size === 0) corkedSince = performance.now();
      socket.cork();
      corked.add(socket);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    }
    if (cb === undefined || socket.writableLength >= EARLY_ACK_BYTES) {
      send(data, options, cb);
      return;
    }
    // A write that fails later fails the socket; its close ends the subscriptions on it. The
    // acknowledgement is given at once (graphql-ws only wraps it in a promise).
    send(data, options, () => {});
    cb();
  };
  ws.send = coalescing as WebSocket['send'];
}
