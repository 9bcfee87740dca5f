import type { Queryable } from '@weft/db';

export interface AuditEntry {
  workspaceId: string;
  actorId: string | null;
  action: string;
  targetId: string | null;
  /**
   * A readable name of the target as it is now (a member's email, a plan's or token's name), kept
   * so the log still reads once the target is renamed or gone.
   */
  targetLabel?: string | null;
  before?: unknown;
  after?: unknown;
}

/** The longest target label kept (the column's CHECK, migration 26). */
export const AUDIT_LABEL_MAX = 300;

/** Writes who did what to which target, before/after, inside the caller's transaction. */
export async function writeAudit(client: Queryable, entry: AuditEntry): Promise<void> {
  await client.query(
    `INSERT INTO audit_log (workspace_id, actor_id, action, target_id, target_label, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      entry.workspaceId,
      entry.actorId,
      entry.action,
      entry.targetId,
      entry.targetLabel == null ? null : entry.targetLabel.slice(0, AUDIT_LABEL_MAX),
      entry.before === undefined ? null : JSON.stringify(entry.before),
      entry.after === undefined ? null : JSON.stringify(entry.after),
    ],
  );
}

/** A run's label in the audit log: its plan's name, so the row still reads after retention deletes the run. */
export async function runLabel(client: Queryable, executionId: string): Promise<string | null> {
  const { rows } = await client.query<{ name: string }>(
    'SELECT p.name FROM executions e JOIN plans p ON p.id = e.plan_id WHERE e.id = $1',
    [executionId],
  );
  return rows[0]?.name ?? null;
}
