import type { Queryable } from '@weft/db';

export interface AuditEntry {
  workspaceId: string;
  actorId: string | null;
  action: string;
  targetId: string | null;
  before?: unknown;
  after?: unknown;
}

/** Writes who did what to which target, before/after, inside the caller's transaction. */
export async function writeAudit(client: Queryable, entry: AuditEntry): Promise<void> {
  await client.query(
    `INSERT INTO audit_log (workspace_id, actor_id, action, target_id, before, after)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      entry.workspaceId,
      entry.actorId,
      entry.action,
      entry.targetId,
      entry.before === undefined ? null : JSON.stringify(entry.before),
      entry.after === undefined ? null : JSON.stringify(entry.after),
    ],
  );
}
