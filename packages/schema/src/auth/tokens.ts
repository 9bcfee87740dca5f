import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '@weft/db';

export type TokenKind = 'session' | 'api';

export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
export const API_TOKEN_TTL_MS = 365 * 24 * 3600 * 1000;

/** What a valid bearer token stands for. */
export interface Viewer {
  userId: string;
  tokenId: string;
  kind: TokenKind;
  /** API tokens act in one workspace only; sessions in every workspace the user belongs to. */
  workspaceId: string | null;
}

const PREFIX: Record<TokenKind, string> = { session: 'wfs_', api: 'wft_' };

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** The longest an API token may live: a leaked token stops working within a year at most. */
export const MAX_API_TOKEN_DAYS = 365;

/** Creates an opaque random token; only its SHA-256 is stored, the token itself is shown once. */
export async function issueToken(
  db: Queryable,
  input: { userId: string; kind: TokenKind; workspaceId?: string | null; name?: string | null; ttlMs: number },
): Promise<{ id: string; token: string; createdAt: Date; expiresAt: Date }> {
  const token = PREFIX[input.kind] + randomBytes(32).toString('base64url');
  const { rows } = await db.query<{ id: string; created_at: Date; expires_at: Date }>(
    'SELECT id, created_at, expires_at FROM weft_auth.issue_token($1, $2, $3, $4, $5, $6)',
    [input.userId, input.kind, input.workspaceId ?? null, input.name ?? null, hashToken(token), input.ttlMs],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('token insert returned nothing');
  return { id: row.id, token, createdAt: row.created_at, expiresAt: row.expires_at };
}

/** How stale `last_used_at` may get: recording it on every request would make every read a write. */
export const TOKEN_LAST_USED_GRANULARITY = '1 minute';

/**
 * Resolves a bearer token. The lookup is by hash through a unique index, so its timing says
 * nothing about how much of a guessed token matched. `last_used_at` is moved at most once per
 * TOKEN_LAST_USED_GRANULARITY (in weft_auth.resolve_token): otherwise each request writes (and
 * flushes) a row, and concurrent requests with one token queue on that row's lock.
 */
export async function resolveToken(db: Queryable, token: string): Promise<Viewer | null> {
  if (token.length < 10 || token.length > 200) return null;
  const { rows } = await db.query<{ id: string; user_id: string; kind: TokenKind; workspace_id: string | null }>(
    'SELECT id, user_id, kind, workspace_id FROM weft_auth.resolve_token($1)',
    [hashToken(token)],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return { userId: row.user_id, tokenId: row.id, kind: row.kind, workspaceId: row.workspace_id };
}

/** Whether a token resolved earlier is still valid (not revoked, not expired): long-lived streams re-ask. */
export async function isTokenActive(db: Queryable, tokenId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'SELECT 1 FROM auth_tokens WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())',
    [tokenId],
  );
  return (rowCount ?? 0) > 0;
}

/** A token as its owner may see it: never its secret or hash. */
export interface TokenRow {
  id: string;
  /** Its owner. */
  userId: string;
  name: string | null;
  workspaceId: string | null;
  kind: TokenKind;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/** The user's live tokens (not revoked, not expired), newest first. */
export async function listTokens(db: Queryable, userId: string): Promise<TokenRow[]> {
  const { rows } = await db.query<TokenRow>(
    `SELECT id, user_id AS "userId", name, workspace_id AS "workspaceId", kind, created_at AS "createdAt", expires_at AS "expiresAt",
            last_used_at AS "lastUsedAt"
       FROM auth_tokens
      WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
      ORDER BY created_at DESC, id`,
    [userId],
  );
  return rows;
}

/** What a revocation touched: the token and the workspace an API token was bound to. */
export interface RevokedToken {
  id: string;
  workspaceId: string | null;
}

/** Revokes one of the user's tokens; null when it is not theirs or already revoked. */
export async function revokeToken(db: Queryable, userId: string, tokenId: string): Promise<RevokedToken | null> {
  const { rows } = await db.query<RevokedToken>(
    'SELECT id, workspace_id AS "workspaceId" FROM weft_auth.revoke_token($1, $2)',
    [userId, tokenId],
  );
  return rows[0] ?? null;
}

/** Revokes every live token of the user except `keepTokenId` (null keeps none). */
export async function revokeAllTokens(
  db: Queryable,
  userId: string,
  keepTokenId: string | null,
): Promise<RevokedToken[]> {
  const { rows } = await db.query<RevokedToken>(
    'SELECT id, workspace_id AS "workspaceId" FROM weft_auth.revoke_all_tokens($1, $2)',
    [userId, keepTokenId],
  );
  return rows;
}

/** Revokes a former member's API tokens for one workspace (the database checks they left it). */
export async function revokeWorkspaceTokens(db: Queryable, userId: string, workspaceId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT weft_auth.revoke_workspace_tokens($1, $2) AS n', [
    userId,
    workspaceId,
  ]);
  return rows[0]?.n ?? 0;
}

/**
 * Every live API token of the workspace in scope, whoever owns it, newest first; empty unless the
 * user in scope is its admin (weft_auth.workspace_api_tokens asks again).
 */
export async function listWorkspaceApiTokens(db: Queryable, workspaceId: string): Promise<TokenRow[]> {
  const { rows } = await db.query<TokenRow>(
    `SELECT id, user_id AS "userId", name, $1::uuid AS "workspaceId", 'api' AS kind, created_at AS "createdAt",
            expires_at AS "expiresAt", last_used_at AS "lastUsedAt"
       FROM weft_auth.workspace_api_tokens($1)`,
    [workspaceId],
  );
  return rows;
}

/** An API token an admin revoked: its owner and name, for the audit row. */
export interface AdminRevokedToken {
  id: string;
  userId: string;
  name: string | null;
}

/** Revokes one API token of the workspace in scope (its admin only); null when there is no such live token. */
export async function revokeWorkspaceApiToken(
  db: Queryable,
  workspaceId: string,
  tokenId: string,
): Promise<AdminRevokedToken | null> {
  const { rows } = await db.query<AdminRevokedToken>(
    'SELECT id, user_id AS "userId", name FROM weft_auth.revoke_workspace_api_token($1, $2)',
    [workspaceId, tokenId],
  );
  return rows[0] ?? null;
}
