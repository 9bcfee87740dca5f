import { setWorkspace, withTenant } from '@weft/db';
import type pg from 'pg';
import { MUTATION_PERMISSIONS } from '../abilities.ts';
import { writeAudit } from '../audit.ts';
import { EMAIL_PATTERN } from '../auth/email.ts';
import { claimLoginAttempt, DEFAULT_LOGIN_THROTTLE, loginSucceeded } from '../auth/login-throttle.ts';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../auth/password.ts';
import {
  API_TOKEN_TTL_MS,
  issueToken,
  listTokens,
  MAX_API_TOKEN_DAYS,
  type RevokedToken,
  revokeAllTokens,
  revokeToken,
  SESSION_TTL_MS,
  type TokenRow,
} from '../auth/tokens.ts';
import { canIn } from '../authorize.ts';
import { builder, UserErrorRef } from '../builder.ts';
import { inTenant, requireViewer, type SchemaContext } from '../context.ts';
import { forbidden, notFound, SchemaErrorCode, tooManyAttempts, type UserError, userError } from '../errors.ts';
import { decodeGlobalId, encodeGlobalId, isUuid, parseId } from '../ids.ts';
import type { UserRow } from '../rows.ts';
import { ApiTokenRef } from '../types/api-token.ts';
import { UserRef } from '../types/refs.ts';

const MIN_PASSWORD = 10;
const DAY_MS = 86_400_000;

interface AuthShape {
  token?: string | null;
  user?: UserRow | null;
  userErrors: UserError[];
}
const AuthPayload = builder.objectRef<AuthShape>('AuthPayload').implement({
  fields: (t) => ({
    token: t.string({ nullable: true, resolve: (p) => p.token ?? null }),
    user: t.field({ type: UserRef, nullable: true, resolve: (p) => p.user ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

interface ApiTokenShape {
  token?: string | null;
  apiToken?: TokenRow | null;
  userErrors: UserError[];
}
const ApiTokenPayload = builder.objectRef<ApiTokenShape>('ApiTokenPayload').implement({
  fields: (t) => ({
    token: t.string({
      nullable: true,
      description: 'The token itself: shown this once, stored only as a hash.',
      resolve: (p) => p.token ?? null,
    }),
    apiToken: t.field({ type: ApiTokenRef, nullable: true, resolve: (p) => p.apiToken ?? null }),
    userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
  }),
});

export const RevokePayload = builder
  .objectRef<{ revoked: boolean; userErrors: UserError[] }>('RevokeTokenPayload')
  .implement({
    fields: (t) => ({
      revoked: t.exposeBoolean('revoked'),
      userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
    }),
  });

const RevokeAllPayload = builder
  .objectRef<{ revokedCount: number; userErrors: UserError[] }>('RevokeAllTokensPayload')
  .implement({
    fields: (t) => ({
      revokedCount: t.exposeInt('revokedCount'),
      userErrors: t.field({ type: [UserErrorRef], resolve: (p) => p.userErrors }),
    }),
  });

const SignUpInput = builder.inputType('SignUpInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    password: t.string({ required: true }),
    name: t.string({ required: false }),
  }),
});
const LogInInput = builder.inputType('LogInInput', {
  fields: (t) => ({ email: t.string({ required: true }), password: t.string({ required: true }) }),
});
const CreateApiTokenInput = builder.inputType('CreateApiTokenInput', {
  fields: (t) => ({
    workspaceId: t.id({ required: true }),
    name: t.string({ required: true }),
    expiresInDays: t.int({ required: false, description: `1 to ${MAX_API_TOKEN_DAYS}; defaults to 365.` }),
  }),
});
const RevokeTokenInput = builder.inputType('RevokeTokenInput', {
  fields: (t) => ({ tokenId: t.id({ required: true }) }),
});
const RevokeAllTokensInput = builder.inputType('RevokeAllTokensInput', {
  fields: (t) => ({
    keepCurrent: t.boolean({
      required: false,
      description: 'Keep the session this request is made with (default true).',
    }),
  }),
});

/**
 * Only a session from logIn/signUp manages tokens: an API token that leaked must not be able to
 * mint fresh ones (outliving its own revocation) or revoke its owner's sessions.
 */
export function requireSession(ctx: SchemaContext) {
  const viewer = requireViewer(ctx);
  if (viewer.kind !== 'session') throw forbidden('Managing tokens takes a session from logIn, not an API token.');
  return viewer;
}

/**
 * Revokes in one transaction with the audit rows: an API token belongs to a workspace, so its
 * revocation is recorded in that workspace's audit log (sessions belong to no workspace).
 */
function revokeAudited(
  ctx: SchemaContext,
  action: string,
  revoke: (client: pg.PoolClient) => Promise<RevokedToken[]>,
): Promise<RevokedToken[]> {
  const viewer = requireViewer(ctx);
  return withTenant(ctx.options.pools.app, { userId: viewer.userId }, async (client) => {
    const revoked = await revoke(client);
    const byWorkspace = new Map<string, string[]>();
    for (const token of revoked) {
      if (token.workspaceId === null) continue;
      byWorkspace.set(token.workspaceId, [
        ...(byWorkspace.get(token.workspaceId) ?? []),
        encodeGlobalId('ApiToken', token.id),
      ]);
    }
    for (const [workspaceId, ids] of byWorkspace) {
      await setWorkspace(client, workspaceId);
      await writeAudit(client, {
        workspaceId,
        actorId: viewer.userId,
        action,
        targetId: ids.length === 1 ? (ids[0] ?? null) : null,
        after: { tokenIds: ids },
      });
    }
    return revoked;
  });
}

builder.mutationFields((t) => ({
  signUp: t.field({
    type: AuthPayload,
    description:
      'Creates an account and signs in. An email that has an account already gets a userError that names no ' +
      'account, after the same work (one password hash) as a new one; it counts against the address like a failed log-in.',
    args: { input: t.arg({ type: SignUpInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<AuthShape> => {
      const email = input.email.trim();
      const errors: UserError[] = [];
      if (!EMAIL_PATTERN.test(email))
        errors.push(userError(SchemaErrorCode.INVALID_INPUT, ['email'], 'Enter a valid email address.'));
      if (input.password.length < MIN_PASSWORD || input.password.length > 1000) {
        errors.push(
          userError(
            SchemaErrorCode.INVALID_INPUT,
            ['password'],
            `Use a password of ${MIN_PASSWORD} to 1000 characters.`,
          ),
        );
      }
      if (input.name !== null && input.name !== undefined && input.name.length > 200) {
        errors.push(userError(SchemaErrorCode.INVALID_INPUT, ['name'], 'Use a name of at most 200 characters.'));
      }
      if (errors.length > 0) return { userErrors: errors };
      const pool = ctx.options.pools.app;
      // Probing emails through sign-up costs the same budget as guessing passwords.
      const wait = await claimLoginAttempt(
        pool,
        email,
        ctx.clientIp,
        ctx.options.loginThrottle ?? DEFAULT_LOGIN_THROTTLE,
      );
      if (wait > 0) throw tooManyAttempts(wait);
      const passwordHash = await hashPassword(input.password);
      const created = await withTenant(pool, {}, async (client) => {
        const { rows } = await client.query<UserRow>('SELECT id, email, name FROM weft_auth.create_user($1, $2, $3)', [
          email,
          input.name ?? null,
          passwordHash,
        ]);
        const user = rows[0];
        if (user === undefined) return null;
        const session = await issueToken(client, {
          userId: user.id,
          kind: 'session',
          ttlMs: ctx.options.sessionTtlMs ?? SESSION_TTL_MS,
        });
        return { token: session.token, user };
      });
      if (created === null) {
        return {
          userErrors: [
            userError(
              SchemaErrorCode.TAKEN,
              ['email'],
              'This email cannot be used to sign up. If you have an account, log in instead.',
            ),
          ],
        };
      }
      await loginSucceeded(pool, email, ctx.clientIp);
      return { ...created, userErrors: [] };
    },
  }),
  logIn: t.field({
    type: AuthPayload,
    args: { input: t.arg({ type: LogInInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<AuthShape> => {
      const pool = ctx.options.pools.app;
      const email = input.email.trim();
      const wait = await claimLoginAttempt(
        pool,
        email,
        ctx.clientIp,
        ctx.options.loginThrottle ?? DEFAULT_LOGIN_THROTTLE,
      );
      if (wait > 0) throw tooManyAttempts(wait);
      const { rows } = await pool.query<UserRow & { password_hash: string | null }>(
        'SELECT id, email, name, password_hash FROM weft_auth.password_hash($1)',
        [email],
      );
      const found = rows[0];
      // Unknown emails and invited ones (no password yet) cost one scrypt too, and answer the same.
      const ok = await verifyPassword(input.password, found?.password_hash ?? (await dummyPasswordHash()));
      if (found === undefined || found.password_hash === null || !ok) {
        return { userErrors: [userError(SchemaErrorCode.INVALID_CREDENTIALS, null, 'Wrong email or password.')] };
      }
      await loginSucceeded(pool, email, ctx.clientIp);
      const session = await issueToken(pool, {
        userId: found.id,
        kind: 'session',
        ttlMs: ctx.options.sessionTtlMs ?? SESSION_TTL_MS,
      });
      return { token: session.token, user: { id: found.id, email: found.email, name: found.name }, userErrors: [] };
    },
  }),
  logOut: t.field({
    type: RevokePayload,
    description: 'Revokes the token this request was made with.',
    authScopes: { authenticated: true },
    resolve: async (_root, _args, ctx) => {
      const viewer = requireViewer(ctx);
      const revoked = await revokeAudited(ctx, 'apiToken.revoke', async (client) => {
        const one = await revokeToken(client, viewer.userId, viewer.tokenId);
        return one === null ? [] : [one];
      });
      return { revoked: revoked.length > 0, userErrors: [] };
    },
  }),
  revokeToken: t.field({
    type: RevokePayload,
    description: "Revokes one of the viewer's own tokens (session or API); takes a session.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: RevokeTokenInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireViewer(ctx);
      const decoded = decodeGlobalId(String(input.tokenId));
      if (decoded.typename !== 'ApiToken' || !isUuid(decoded.id)) throw notFound();
      // An API token may revoke itself (as logOut does), nothing else.
      if (viewer.kind !== 'session' && decoded.id !== viewer.tokenId) requireSession(ctx);
      const revoked = await revokeAudited(ctx, 'apiToken.revoke', async (client) => {
        const one = await revokeToken(client, viewer.userId, decoded.id);
        return one === null ? [] : [one];
      });
      if (revoked.length === 0) throw notFound();
      return { revoked: true, userErrors: [] };
    },
  }),
  revokeAllTokens: t.field({
    type: RevokeAllPayload,
    description:
      "Revokes every one of the viewer's tokens, sessions and API tokens alike, at once (e.g. after a leak); " +
      'keeps the current session unless keepCurrent is false. Takes a session.',
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: RevokeAllTokensInput, required: false }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireSession(ctx);
      const keep = input?.keepCurrent === false ? null : viewer.tokenId;
      const revoked = await revokeAudited(ctx, 'apiToken.revokeAll', (client) =>
        revokeAllTokens(client, viewer.userId, keep),
      );
      return { revokedCount: revoked.length, userErrors: [] };
    },
  }),
  createApiToken: t.field({
    type: ApiTokenPayload,
    args: { input: t.arg({ type: CreateApiTokenInput, required: true }) },
    authScopes: canIn(MUTATION_PERMISSIONS.createApiToken, (args: { input: { workspaceId: string } }) =>
      parseId(args.input.workspaceId, 'Workspace'),
    ),
    resolve: async (_root, { input }, ctx): Promise<ApiTokenShape> => {
      const viewer = requireSession(ctx);
      const workspaceId = parseId(String(input.workspaceId), 'Workspace');
      const name = input.name.trim();
      const days = input.expiresInDays ?? (ctx.options.apiTokenTtlMs ?? API_TOKEN_TTL_MS) / DAY_MS;
      const errors: UserError[] = [];
      if (name.length < 1 || name.length > 100)
        errors.push(userError(SchemaErrorCode.INVALID_INPUT, ['name'], 'Name the token (1 to 100 characters).'));
      if (!Number.isInteger(days) || days < 1 || days > MAX_API_TOKEN_DAYS) {
        errors.push(
          userError(
            SchemaErrorCode.INVALID_INPUT,
            ['expiresInDays'],
            `expiresInDays is between 1 and ${MAX_API_TOKEN_DAYS}.`,
          ),
        );
      }
      if (errors.length > 0) return { userErrors: errors };
      return inTenant(ctx, workspaceId, async (client) => {
        const issued = await issueToken(client, {
          userId: viewer.userId,
          kind: 'api',
          workspaceId,
          name,
          ttlMs: days * DAY_MS,
        });
        const apiToken: TokenRow = {
          id: issued.id,
          userId: viewer.userId,
          name,
          workspaceId,
          kind: 'api',
          createdAt: issued.createdAt,
          expiresAt: issued.expiresAt,
          lastUsedAt: null,
        };
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'apiToken.create',
          targetId: encodeGlobalId('ApiToken', issued.id),
          targetLabel: name,
          after: { name, expiresAt: issued.expiresAt },
        });
        return { token: issued.token, apiToken, userErrors: [] };
      });
    },
  }),
}));

builder.objectFields(UserRef, (t) => ({
  tokens: t.field({
    type: [ApiTokenRef],
    description:
      "The viewer's live tokens (sessions and API tokens), newest first, never their secrets. Other users' are " +
      'empty; an API token sees only itself.',
    resolve: async (u, _args, ctx) => {
      const viewer = ctx.viewer;
      if (viewer === null || viewer.userId !== u.id) return [];
      const tokens = await listTokens(ctx.options.pools.app, u.id);
      return viewer.kind === 'session' ? tokens : tokens.filter((token) => token.id === viewer.tokenId);
    },
  }),
}));
