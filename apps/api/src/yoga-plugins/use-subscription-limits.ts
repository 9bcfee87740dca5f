import type { SchemaContext } from '@weft/schema';
import type { Plugin } from 'graphql-yoga';
import { type ConnectionSlots, createSubscriptionSlots, type SubscriptionLimits } from '../subscription-limits.ts';

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Bounds open subscriptions per connection and per user, over graphql-ws and SSE alike: both
 * subscribe through envelop. The connection is the request the context was made from: the
 * WebSocket's upgrade request (one per socket) or the SSE request (one subscription each). A slot
 * is taken before the subscription starts and given back when its stream ends for any reason
 * (complete, client gone, error), or at once when it did not start.
 */
export function useSubscriptionLimits(limits: SubscriptionLimits): Plugin<{ req?: object } & SchemaContext> {
  const slots = createSubscriptionSlots(limits);
  const connections = new WeakMap<object, ConnectionSlots>();
  let next = 0;
  return {
    onSubscribe({ args, subscribeFn, setSubscribeFn, setResultAndStopExecution }) {
      const context = args.contextValue;
      const userId = context.viewer?.userId;
      const key = context.req;
      // Signed out: the resolver answers UNAUTHENTICATED, nothing stays open.
      if (userId === undefined || key === undefined) return;
      let connection = connections.get(key);
      if (connection === undefined) {
        connection = { userId, ids: new Set() };
        connections.set(key, connection);
      }
      const held = connection;
      const id = String(++next);
      const refused = slots.take(held, id);
      if (refused !== null) {
        setResultAndStopExecution({ errors: [refused] });
        return;
      }
      const release = () => slots.release(held, id);
      setSubscribeFn(async (subscribeArgs) => {
        try {
          return await subscribeFn(subscribeArgs);
        } catch (error) {
          release();
          throw error;
        }
      });
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) {
            release();
            return;
          }
          return { onEnd: release };
        },
      };
    },
  };
}
