import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pools } from '@weft/db';
import { abilityFor, createContext, roleOf, type SchemaLogger } from '@weft/schema';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

export interface AdminGraphqlOptions {
  pools: Pools;
  production: boolean;
  secretKey: string;
  logger: SchemaLogger;
}

/** Who an admin request runs for; set by our gate, read by PostGraphile's context. */
const scopes = new WeakMap<IncomingMessage, { workspaceId: string; userId: string }>();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function deny(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/**
 * `/admin/graphql`: PostGraphile's generated API over the same tables, for workspace admins. It
 * connects as `weft_app` and sets `weft.workspace_id`, so RLS bounds it exactly like the product API.
 */
export function createAdminGraphql(options: AdminGraphqlOptions) {
  const pgl = postgraphile({
    extends: [PostGraphileAmberPreset],
    pgServices: [makePgService({ pool: options.pools.app, schemas: ['public'] })],
    grafserv: { graphqlPath: '/admin/graphql', graphiql: false, websockets: false, graphqlOverGET: false },
    grafast: {
      context: (requestContext) => {
        const req = requestContext.node?.req;
        const scope = req === undefined ? undefined : scopes.get(req);
        // Without a scope nothing is visible: RLS sees no workspace.
        return {
          pgSettings: {
            'weft.workspace_id': scope?.workspaceId ?? '',
            'weft.user_id': scope?.userId ?? '',
          },
        };
      },
    },
    schema: { exportSchemaSDLPath: undefined },
  });
  const serv = pgl.createServ(grafserv);
  const handler = serv.createHandler();

  async function gate(req: IncomingMessage): Promise<{ status: number; code: string; message: string } | null> {
    const ctx = await createContext(
      { pools: options.pools, logger: options.logger, secretKey: options.secretKey },
      { authorization: req.headers.authorization, requestId: 'admin', clientIp: req.socket.remoteAddress ?? '' },
    );
    const viewer = ctx.viewer;
    if (viewer === null) {
      return { status: 401, code: 'UNAUTHENTICATED', message: 'Sign in first: send Authorization: Bearer <token>.' };
    }
    const header = req.headers['x-weft-workspace'];
    const workspaceId = typeof header === 'string' && UUID.test(header) ? header : null;
    if (workspaceId === null) {
      return { status: 400, code: 'BAD_REQUEST', message: 'Name the workspace: X-Weft-Workspace: <workspace uuid>.' };
    }
    const role = await roleOf(ctx, workspaceId);
    if (role === null) return { status: 404, code: 'NOT_FOUND', message: 'Not found.' };
    if (!abilityFor(role).can('read', 'AdminGraphql')) {
      return { status: 403, code: 'FORBIDDEN', message: 'The admin API is for workspace admins.' };
    }
    scopes.set(req, { workspaceId, userId: viewer.userId });
    return null;
  }

  return {
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const refused = await gate(req);
      if (refused !== null) return deny(res, refused.status, refused.code, refused.message);
      handler(req, res);
    },
    async close(): Promise<void> {
      await pgl.release();
    },
  };
}
