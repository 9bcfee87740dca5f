import { GraphQLError } from 'graphql';

export interface SubscriptionLimits {
  /** Subscriptions open at once on one WebSocket. */
  perConnection: number;
  /** Subscriptions open at once by one user, over all their sockets to this process. */
  perUser: number;
}

/** One socket's open subscriptions, by graphql-ws operation id. */
export interface ConnectionSlots {
  userId: string;
  ids: Set<string>;
}

/**
 * Counts open subscriptions so one user cannot hold an unbounded number of event streams (each is
 * a listener and a database or Redis tail) in the API process. A slot is taken before the
 * subscription starts and given back when it completes or its socket closes.
 */
export function createSubscriptionSlots(limits: SubscriptionLimits) {
  const perUser = new Map<string, number>();
  const give = (userId: string, count = 1): void => {
    const left = (perUser.get(userId) ?? count) - count;
    if (left <= 0) perUser.delete(userId);
    else perUser.set(userId, left);
  };
  return {
    /** Takes a slot for `id`, or answers why not. */
    take(connection: ConnectionSlots, id: string): GraphQLError | null {
      if (connection.ids.size >= limits.perConnection) {
        return new GraphQLError(
          `This connection already has ${limits.perConnection} subscriptions open: complete one first.`,
          { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } },
        );
      }
      const open = perUser.get(connection.userId) ?? 0;
      if (open >= limits.perUser) {
        return new GraphQLError(`You already have ${limits.perUser} subscriptions open: complete one first.`, {
          extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
        });
      }
      connection.ids.add(id);
      perUser.set(connection.userId, open + 1);
      return null;
    },
    release(connection: ConnectionSlots, id: string): void {
      if (connection.ids.delete(id)) give(connection.userId);
    },
    releaseAll(connection: ConnectionSlots): void {
      give(connection.userId, connection.ids.size);
      connection.ids.clear();
    },
    /** Open subscriptions of a user (for tests and metrics). */
    openBy(userId: string): number {
      return perUser.get(userId) ?? 0;
    },
  };
}
