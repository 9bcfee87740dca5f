import { EventEmitter, on } from 'node:events';
import type { ExecutionEvent, ExecutionStatusChange } from '@weft/engine';
import type { ExecutionFeed } from '@weft/schema';

/**
 * An in-process stand-in for the engine's execution feed, so that the transport, the handshake
 * rules and the authorization are what a test checks: `publish` announces a status change to the
 * subscriptions of its workspace; an `executionEvents` subscription gets `events()`, then ends.
 */
export function scriptedFeed(events: () => ExecutionEvent[] = () => []): {
  feed: ExecutionFeed;
  publish(change: ExecutionStatusChange): void;
} {
  const changes = new EventEmitter();
  // Tests open many subscriptions at once; each is one listener.
  changes.setMaxListeners(100);
  const feed: ExecutionFeed = {
    async *workspaceExecutions(workspaceId, signal) {
      try {
        for await (const [change] of on(changes, 'change', { signal }) as AsyncIterable<[ExecutionStatusChange]>) {
          if (change.workspaceId === workspaceId) yield change;
        }
      } catch (error) {
        if (!signal.aborted) throw error;
      }
    },
    async *executionEvents() {
      yield* events();
    },
  };
  return { feed, publish: (change) => changes.emit('change', change) };
}
