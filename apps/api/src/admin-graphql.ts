import type { IncomingMessage, ServerResponse } from 'node:http';
import { abilityFor, createContext, roleOf, type SchemaOptions } from '@weft/schema';
import { GraphQLError, type ValidationRule } from 'graphql';
import { envelop, type Plugin } from 'graphql-yoga';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { defaultMaskError } from 'postgraphile/grafserv';
import { GrafservEnvelopPreset } from 'postgraphile/grafserv/envelop';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { makeJSONPgSmartTagsPlugin, pgSmartTags } from 'postgraphile/utils';
import { refuseGraphqlBody } from './graphql-body-limit.ts';
import { useOperationLimits } from './graphql-server.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { checkRateLimit } from './yoga-plugins/use-rate-limit.ts';

/**
 * What the admin view may show is decided by the database: PostGraphile connects as
 * `weft_admin_read`, and its RBAC plugin leaves out every table and column that role cannot SELECT
 * (migration 10 grants only RLS-bound tenant tables). These tags say the same from this side, so a
 * grant added by mistake still exposes no function (SECURITY DEFINER queue and lease doors
 * included) and no ciphertext.
 */
const READ_ONLY = pgSmartTags(
  [
    { kind: 'procedure', match: () => true, tags: { behavior: '-*' } },
    { kind: 'class', match: () => true, tags: { behavior: '-insert -update -delete' } },
  ],
  null,
  { name: 'WeftAdminReadOnly', description: 'No functions and no writes in the admin view' },
);
const HIDDEN = makeJSONPgSmartTagsPlugin({
  version: 1,
  config: {
    attribute: Object.fromEntries(
      ['webhooks.secret_ciphertext', 'webhook_endpoints.secret_ciphertext'].map((c) => [
        c,
        { tags: { behavior: '-*' } },
      ]),
    ),
  },
});

/** The admin API is read-only: it is built without a Mutation type at all. */
const DISABLED_PLUGINS = [
  'MutationPlugin',
  'SubscriptionPlugin',
  'PgMutationCreatePlugin',
  'PgMutationUpdateDeletePlugin',
  'PgMutationPayloadEdgePlugin',
];

/** Mutations and subscriptions are refused while validating, with a message saying why. */
const QueriesOnly: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation !== 'query') {
      context.reportError(
        new GraphQLError(`The admin API is read-only: ${node.operation}s are not accepted.`, { nodes: node }),
      );
    }
  },
});

const useQueriesOnly = (): Plugin => ({
  onValidate({ addValidationRule }) {
    addValidationRule(QueriesOnly);
  },
});

/**
 * The largest admin request body: queries and their variables, nothing else (the admin API takes
 * no uploads). Checked by grafserv while reading, on top of the declared-length check that
 * `/graphql` uses as well.
 */
export const MAX_ADMIN_BODY_BYTES = 100_000;

export interface AdminGraphqlOptions {
  /** The `/graphql` schema's options: the same token and role lookups gate this endpoint. */
  schemaOptions: SchemaOptions;
  production: boolean;
  /** The same limiter and budgets as `/graphql`: an admin's operations count against both. */
  limiter: RateLimiter;
  rateLimit: { perUser: number; perWorkspace: number; windowMs: number };
  /** Bounds each admin query in PostgreSQL (statement_timeout). */
  requestTimeoutMs: number;
}

/** Who an admin request runs for; set by our gate, read by PostGraphile's context. */
const scopes = new WeakMap<IncomingMessage, { workspaceId: string }>();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function deny(
  res: ServerResponse,
  refusal: { status: number; code: string; message: string; headers?: Record<string, string> },
): void {
  const { status, code, message } = refusal;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...refusal.headers,
  });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/**
 * `/admin/graphql`: PostGraphile's generated, read-only API over the workspace's tables, for
 * workspace admins. It connects as `weft_admin_read` (SELECT on RLS-bound tenant tables only) and
 * sets `weft.workspace_id`, so RLS bounds it exactly like the product API and PostgreSQL refuses
 * any write. Operation limits, body size and rate limits are those of `/graphql`.
 */
export function createAdminGraphql(options: AdminGraphqlOptions) {
  const pgl = postgraphile({
    extends: [PostGraphileAmberPreset, GrafservEnvelopPreset],
    plugins: [READ_ONLY, HIDDEN],
    disablePlugins: DISABLED_PLUGINS,
    pgServices: [makePgService({ pool: options.schemaOptions.pools.adminRead, schemas: ['public'] })],
    grafserv: {
      graphqlPath: '/admin/graphql',
      graphiql: false,
      websockets: false,
      graphqlOverGET: false,
      maxRequestLength: MAX_ADMIN_BODY_BYTES,
      // The envelop preset hands masking to envelop, which masks nothing here: keep grafserv's, so
      // database errors reach an admin as an id, not as text.
      maskError: defaultMaskError,
      // Same @envelop/core at run time; the cast only bridges grafserv's and yoga's context typings.
      getEnveloped: envelop({
        plugins: [useQueriesOnly(), useOperationLimits(options.production, { asValidationErrors: true })],
      }) as unknown as NonNullable<GraphileConfig.GrafservOptions['getEnveloped']>,
    },
    grafast: {
      context: (requestContext) => {
        const req = requestContext.node?.req;
        const scope = req === undefined ? undefined : scopes.get(req);
        // Without a scope nothing is visible: RLS sees no workspace. No user is set: the policies
        // that read `weft.user_id` show a user's memberships and workspaces elsewhere, and this
        // view is of one workspace (an API token's, whose binding must hold here as on /graphql).
        return {
          pgSettings: {
            'weft.workspace_id': scope?.workspaceId ?? '',
            'weft.user_id': '',
            statement_timeout: String(options.requestTimeoutMs),
          },
        };
      },
    },
    schema: { exportSchemaSDLPath: undefined },
  });
  const serv = pgl.createServ(grafserv);
  const handler = serv.createHandler();

  async function gate(
    req: IncomingMessage,
  ): Promise<{ status: number; code: string; message: string; headers?: Record<string, string> } | null> {
    const body = refuseGraphqlBody(req);
    if (body !== null) return { ...body, headers: { connection: 'close' } };
    const ctx = await createContext(options.schemaOptions, {
      authorization: req.headers.authorization,
      requestId: 'admin',
      clientIp: req.socket.remoteAddress ?? '',
    });
    const viewer = ctx.viewer;
    if (viewer === null) {
      return { status: 401, code: 'UNAUTHENTICATED', message: 'Sign in first: send Authorization: Bearer <token>.' };
    }
    const header = req.headers['x-weft-workspace'];
    const workspaceId = typeof header === 'string' && UUID.test(header) ? header : null;
    if (workspaceId === null) {
      return { status: 400, code: 'BAD_REQUEST', message: 'Name the workspace: X-Weft-Workspace: <workspace uuid>.' };
    }
    const limited = await checkRateLimit({ limiter: options.limiter, ...options.rateLimit }, ctx);
    if (limited !== null) {
      return {
        status: 429,
        code: 'RATE_LIMITED',
        message: limited.message,
        headers: { 'retry-after': String(limited.extensions.retryAfterSeconds ?? 60) },
      };
    }
    const role = await roleOf(ctx, workspaceId);
    if (role === null) return { status: 404, code: 'NOT_FOUND', message: 'Not found.' };
    if (!abilityFor(role).can('read', 'AdminGraphql')) {
      return { status: 403, code: 'FORBIDDEN', message: 'The admin API is for workspace admins.' };
    }
    scopes.set(req, { workspaceId });
    return null;
  }

  return {
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const refused = await gate(req);
      if (refused !== null) return deny(res, refused);
      handler(req, res);
    },
    async close(): Promise<void> {
      await pgl.release();
    },
  };
}
