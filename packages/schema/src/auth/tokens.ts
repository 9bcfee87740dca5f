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

/** Creates an opaque random token; only its SHA-256 is stored, the token itself is shown once. */
export async function issueToken(
  db: Queryable,
  input: { userId: string; kind: TokenKind; workspaceId?: string | null; name?: string | null; ttlMs: number },
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = PREFIX[input.kind] + randomBytes(32).toString('base64url');
  const { rows } = await db.query<{ id: string; expires_at: Date }>(
    `INSERT INTO auth_tokens (user_id, kind, workspace_id, name, token_hash, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 millisecond') RETURNING id, expires_at`,
    [input.userId, input.kind, input.workspaceId ?? null, input.name ?? null, hashToken(token), input.ttlMs],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('token insert returned nothing');
  return { id: row.id, token, expiresAt: row.expires_at };
}

/** How stale `last_used_at` may get: recording it on every request would make every read a write. */
export const TOKEN_LAST_USED_GRANULARITY = '1 minute';

/**
 * Resolves a bearer token. The lookup is by hash through a unique index, so its timing says
 * nothing about how much of a guessed token matched. `last_used_at` is moved at most once per
 * TOKEN_LAST_USED_GRANULARITY: otherwise each request writes (and flushes) a row, and concurrent
 * requests with one token queue on that row's lock.
 */
export async function resolveToken(db: Queryable, token: string): Promise<Viewer | null> {
  if (token.length < 10 || token.length > 200) return null;
  const { rows } = await db.query<{ id: string; user_id: string; kind: TokenKind; workspace_id: string | null }>(
    `WITH hit AS (
       SELECT id, user_id, kind, workspace_id, last_used_at FROM auth_tokens
        WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
     ), touched AS (
       UPDATE auth_tokens t SET last_used_at = now() FROM hit
        WHERE t.id = hit.id
          AND (hit.last_used_at IS NULL OR hit.last_used_at < now() - interval '${TOKEN_LAST_USED_GRANULARITY}')
     )
     SELECT id, user_id, kind, workspace_id FROM hit`,
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

/** Revokes one of the user's tokens; false when it is not theirs or already revoked. */
export async function revokeToken(db: Queryable, userId: string, tokenId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE auth_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL',
    [tokenId, userId],
  );
  return (rowCount ?? 0) > 0;
}
