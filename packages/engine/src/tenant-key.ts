/**
 * The one key of in-process caches, maps and batches that hold tenant rows. Row ids (plan
 * versions, executions, …) are unique only within their workspace — primary keys are
 * `(workspace_id, id)` — so a key of the id alone lets one workspace's row stand for another's.
 * Workspace ids are UUIDs (no "/"), so the key is unambiguous whatever the id holds.
 */
export function tenantKey(workspaceId: string, id: string): string {
  return `${workspaceId}/${id}`;
}
