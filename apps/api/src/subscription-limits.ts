import { GraphQLError } from 'graphql';

export interface SubscriptionLimits {
  /** Subscriptions open at once on one connection (a WebSocket; an SSE request holds one). */
  perConnection: number;
  /** Subscriptions open at once by one user, over all their connections to this process. */
  perUser: number;
}

/** One connection's open subscriptions, by an id unique in the process. */
export interface ConnectionSlots {
  userId: string;
  ids: Set<string>;
}

/**
 * Counts open subscriptions so one user cannot hold an unbounded number of event streams (each is
 * a listener and a database or Redis tail) in the API process.
 */
export function createSubscriptionSlots(limits: SubscriptionLimits) {
  const perUser = new Map<string, number>();
  const give = (userId: string): void => {
    const left = (perUser.get(userId) ?? 1) - 1;
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
    /** Open subscriptions of a user (for tests and metrics). */
    openBy(userId: string): number {
      return perUser.get(userId) ?? 0;
    },
  };
}
