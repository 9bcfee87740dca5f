import { withTenant } from '@weft/db';
import { MUTATION_PERMISSIONS } from '../abilities.ts';
import { writeAudit } from '../audit.ts';
import {
  clearFailures,
  DEFAULT_LOGIN_THROTTLE,
  recordFailure,
  retryAfterSeconds,
  throttleKeys,
} from '../auth/login-throttle.ts';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../auth/password.ts';
import { API_TOKEN_TTL_MS, issueToken, revokeToken, SESSION_TTL_MS } from '../auth/tokens.ts';
import { canIn } from '../authorize.ts';
import { builder, UserErrorRef } from '../builder.ts';
import { inTenant, requireViewer } from '../context.ts';
import { notFound, SchemaErrorCode, tooManyAttempts, type UserError, userError } from '../errors.ts';
import { decodeGlobalId, encodeGlobalId, isUuid, parseId } from '../ids.ts';
import type { UserRow } from '../rows.ts';
import { UserRef, WorkspaceRef } from '../types/refs.ts';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{1,63}$/;
const MIN_PASSWORD = 10;

interface ApiTokenRow {
  id: string;
  name: string | null;
  workspaceId: string | null;
  kind: 'session' | 'api';
  createdAt: Date;
  expiresAt: Date | null;
}

const ApiTokenRef = builder.objectRef<ApiTokenRow>('ApiToken').implement({
  description: 'A token, without its secret value (which is shown once, when created).',
  fields: (t) => ({
    id: t.id({ resolve: (a) => encodeGlobalId('ApiToken', a.id) }),
    name: t.exposeString('name', { nullable: true }),
    kind: t.exposeString('kind'),
    workspace: t.field({ type: WorkspaceRef, nullable: true, resolve: (a) => a.workspaceId }),
    createdAt: t.field({ type: 'DateTime', resolve: (a) => a.createdAt }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.expiresAt }),
  }),
});

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
  apiToken?: ApiTokenRow | null;
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

const RevokePayload = builder.objectRef<{ revoked: boolean; userErrors: UserError[] }>('RevokeTokenPayload').implement({
  fields: (t) => ({
    revoked: t.exposeBoolean('revoked'),
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
    expiresInDays: t.int({ required: false, description: 'Defaults to 365.' }),
  }),
});
const RevokeTokenInput = builder.inputType('RevokeTokenInput', {
  fields: (t) => ({ tokenId: t.id({ required: true }) }),
});

builder.mutationFields((t) => ({
  signUp: t.field({
    type: AuthPayload,
    args: { input: t.arg({ type: SignUpInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<AuthShape> => {
      const email = input.email.trim();
      const errors: UserError[] = [];
      if (!EMAIL.test(email))
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
      const passwordHash = await hashPassword(input.password);
      return withTenant(ctx.options.pools.app, {}, async (client) => {
        const { rows } = await client.query<UserRow>(
          `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
           ON CONFLICT (email) DO NOTHING RETURNING id, email::text AS email, name`,
          [email, input.name ?? null, passwordHash],
        );
        const user = rows[0];
        if (user === undefined) {
          return {
            userErrors: [
              userError(SchemaErrorCode.TAKEN, ['email'], 'An account with this email exists; log in instead.'),
            ],
          };
        }
        const session = await issueToken(client, {
          userId: user.id,
          kind: 'session',
          ttlMs: ctx.options.sessionTtlMs ?? SESSION_TTL_MS,
        });
        return { token: session.token, user, userErrors: [] };
      });
    },
  }),
  logIn: t.field({
    type: AuthPayload,
    args: { input: t.arg({ type: LogInInput, required: true }) },
    resolve: async (_root, { input }, ctx): Promise<AuthShape> => {
      const pool = ctx.options.pools.app;
      const email = input.email.trim();
      const keys = throttleKeys(email, ctx.clientIp);
      const wait = await retryAfterSeconds(pool, keys, ctx.options.loginThrottle ?? DEFAULT_LOGIN_THROTTLE);
      if (wait > 0) throw tooManyAttempts(wait);
      const { rows } = await pool.query<UserRow & { password_hash: string }>(
        'SELECT id, email::text AS email, name, password_hash FROM users WHERE email = $1',
        [email],
      );
      const found = rows[0];
      const ok = await verifyPassword(input.password, found?.password_hash ?? (await dummyPasswordHash()));
      if (found === undefined || !ok) {
        await recordFailure(pool, keys, ctx.options.loginThrottle ?? DEFAULT_LOGIN_THROTTLE);
        return { userErrors: [userError(SchemaErrorCode.INVALID_CREDENTIALS, null, 'Wrong email or password.')] };
      }
      await clearFailures(pool, email);
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
      const revoked = await revokeToken(ctx.options.pools.app, viewer.userId, viewer.tokenId);
      return { revoked, userErrors: [] };
    },
  }),
  revokeToken: t.field({
    type: RevokePayload,
    description: "Revokes one of the viewer's own tokens (session or API).",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: RevokeTokenInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireViewer(ctx);
      const decoded = decodeGlobalId(String(input.tokenId));
      if (decoded.typename !== 'ApiToken' || !isUuid(decoded.id)) throw notFound();
      const revoked = await revokeToken(ctx.options.pools.app, viewer.userId, decoded.id);
      if (!revoked) throw notFound();
      return { revoked, userErrors: [] };
    },
  }),
  createApiToken: t.field({
    type: ApiTokenPayload,
    args: { input: t.arg({ type: CreateApiTokenInput, required: true }) },
    authScopes: canIn(MUTATION_PERMISSIONS.createApiToken, (args: { input: { workspaceId: string } }) =>
      parseId(args.input.workspaceId, 'Workspace'),
    ),
    resolve: async (_root, { input }, ctx): Promise<ApiTokenShape> => {
      const viewer = requireViewer(ctx);
      const workspaceId = parseId(String(input.workspaceId), 'Workspace');
      const name = input.name.trim();
      const days = input.expiresInDays ?? API_TOKEN_TTL_MS / 86_400_000;
      const errors: UserError[] = [];
      if (name.length < 1 || name.length > 100)
        errors.push(userError(SchemaErrorCode.INVALID_INPUT, ['name'], 'Name the token (1 to 100 characters).'));
      if (!Number.isInteger(days) || days < 1 || days > 3650) {
        errors.push(
          userError(SchemaErrorCode.INVALID_INPUT, ['expiresInDays'], 'expiresInDays is between 1 and 3650.'),
        );
      }
      if (errors.length > 0) return { userErrors: errors };
      return inTenant(ctx, workspaceId, async (client) => {
        const issued = await issueToken(client, {
          userId: viewer.userId,
          kind: 'api',
          workspaceId,
          name,
          ttlMs: days * 86_400_000,
        });
        const apiToken: ApiTokenRow = {
          id: issued.id,
          name,
          workspaceId,
          kind: 'api',
          createdAt: new Date(),
          expiresAt: issued.expiresAt,
        };
        await writeAudit(client, {
          workspaceId,
          actorId: viewer.userId,
          action: 'apiToken.create',
          targetId: encodeGlobalId('ApiToken', issued.id),
          after: { name, expiresAt: issued.expiresAt },
        });
        return { token: issued.token, apiToken, userErrors: [] };
      });
    },
  }),
}));
