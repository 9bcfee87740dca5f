/**
 * Resuming the `wait` steps an event matches. A placeholder with the agreed signature: the
 * waiting-step implementation replaces this module (it returns how many steps it resumed).
 */
import type { TenantClient } from './types.ts';

/** @public An event sent to a workspace, as `deliverEvent` receives it. */
export interface DeliveredEvent {
  workspaceId: string;
  eventId: string;
  name: string;
  data: unknown;
  sentAt: Date;
}

export async function deliverEvent(_client: TenantClient, _event: DeliveredEvent): Promise<{ resumed: number }> {
  return { resumed: 0 };
}
