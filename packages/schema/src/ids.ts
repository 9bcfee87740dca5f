import { notFound } from './errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Global IDs carry the workspace of tenant rows (`Type:workspaceId:rowId`), because RLS needs the
 * workspace before the row can even be looked up. Global rows (users, plugins) carry only their id.
 */
export function encodeGlobalId(typename: string, id: string): string {
  return Buffer.from(`${typename}:${id}`, 'utf8').toString('base64url');
}

/** Any malformed ID is NOT_FOUND, exactly like a missing one. */
export function decodeGlobalId(globalId: string): { typename: string; id: string } {
  const text = Buffer.from(globalId, 'base64url').toString('utf8');
  const at = text.indexOf(':');
  if (at <= 0) throw notFound();
  return { typename: text.slice(0, at), id: text.slice(at + 1) };
}

export interface TenantKey {
  workspaceId: string;
  id: string;
}

export function tenantKey(workspaceId: string, id: string): string {
  return `${workspaceId}:${id}`;
}

export function parseTenantKey(key: string): TenantKey {
  const [workspaceId, id, ...rest] = key.split(':');
  if (workspaceId === undefined || id === undefined || rest.length > 0 || !UUID.test(workspaceId) || !UUID.test(id)) {
    throw notFound();
  }
  return { workspaceId, id };
}

/** Decodes an ID argument of an expected type: a tenant row's (workspace, id). */
export function parseTenantId(globalId: string, typename: string): TenantKey {
  const decoded = decodeGlobalId(globalId);
  if (decoded.typename !== typename) throw notFound();
  return parseTenantKey(decoded.id);
}

/** Decodes an ID argument of a global row (User, Workspace, Plugin…). */
export function parseId(globalId: string, typename: string): string {
  const decoded = decodeGlobalId(globalId);
  if (decoded.typename !== typename || !UUID.test(decoded.id)) throw notFound();
  return decoded.id;
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function encodeTenantId(typename: string, workspaceId: string, id: string): string {
  return encodeGlobalId(typename, tenantKey(workspaceId, id));
}
