import type pg from 'pg';
import type { Action, Subject } from './abilities.ts';
import { abilityFor } from './abilities.ts';
import { inTenant, roleOf, type SchemaContext } from './context.ts';
import { forbidden, notFound, unauthenticated } from './errors.ts';
import { parseTenantKey, tenantKey } from './ids.ts';
import { toRow } from './rows.ts';

/**
 * Batch-loads tenant rows by `workspaceId:id` keys, one query per workspace under its RLS scope.
 * Keys of workspaces the viewer is not in come back NOT_FOUND, exactly like missing rows.
 */
export async function loadTenantRows<T extends { workspaceId: string; id: string }>(
  ctx: SchemaContext,
  keys: readonly string[],
  options: { table: string; columns: string; permission?: readonly [Action, Subject] },
): Promise<(T | Error)[]> {
  if (ctx.viewer === null) return keys.map(() => unauthenticated());
  const byWorkspace = new Map<string, string[]>();
  const parsed = keys.map((key) => {
    try {
      const k = parseTenantKey(key);
      byWorkspace.set(k.workspaceId, [...(byWorkspace.get(k.workspaceId) ?? []), k.id]);
      return k;
    } catch (error) {
      return error as Error;
    }
  });
  const found = new Map<string, T | Error>();
  await Promise.all(
    [...byWorkspace].map(async ([workspaceId, ids]) => {
      const role = await roleOf(ctx, workspaceId);
      if (role === null) return;
      const [action, subject] = options.permission ?? ['read', 'Workspace'];
      if (!abilityFor(role).can(action, subject)) {
        for (const id of ids) found.set(tenantKey(workspaceId, id), forbidden());
        return;
      }
      const { rows } = await inTenant(ctx, workspaceId, (client) =>
        client.query(`SELECT ${options.columns} FROM ${options.table} WHERE id = ANY($1::uuid[])`, [ids]),
      );
      for (const row of rows) {
        const value = toRow<T>(row);
        found.set(tenantKey(value.workspaceId, value.id), value);
      }
    }),
  );
  return parsed.map((k) => (k instanceof Error ? k : (found.get(tenantKey(k.workspaceId, k.id)) ?? notFound())));
}

/**
 * Batch-loads a list per `workspaceId:id` key (a run's steps, its child runs): one query per
 * workspace under its RLS scope. `query` answers the items of all its ids, each with the id it
 * belongs to, in the order the lists keep; a key with no items gets an empty list.
 */
export async function loadTenantLists<T>(
  ctx: SchemaContext,
  keys: readonly string[],
  query: (client: pg.PoolClient, workspaceId: string, ids: string[]) => Promise<Array<{ ownerId: string; item: T }>>,
): Promise<T[][]> {
  const byWorkspace = new Map<string, string[]>();
  for (const key of keys) {
    const k = parseTenantKey(key);
    byWorkspace.set(k.workspaceId, [...(byWorkspace.get(k.workspaceId) ?? []), k.id]);
  }
  const lists = new Map<string, T[]>();
  await Promise.all(
    [...byWorkspace].map(([workspaceId, ids]) =>
      inTenant(ctx, workspaceId, async (client) => {
        for (const { ownerId, item } of await query(client, workspaceId, ids)) {
          const key = tenantKey(workspaceId, ownerId);
          lists.set(key, [...(lists.get(key) ?? []), item]);
        }
      }),
    ),
  );
  return keys.map((key) => lists.get(key) ?? []);
}
