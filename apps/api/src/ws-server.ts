import type { IncomingMessage, Server } from 'node:http';
import { bearerToken, resolveToken, type SchemaOptions } from '@weft/schema';
import type { ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { coalesceWrites } from './coalesced-writes.ts';
import { allowDirectDelivery } from './direct-delivery.ts';
import type { GraphqlServer } from './graphql-server.ts';

/** How long a client has to send `connection_init` before the socket closes with 4408. */
export const CONNECTION_INIT_TIMEOUT_MS = 3000;

export interface WsLimits {
  /** The largest WebSocket message accepted; a larger one closes that socket with 1009. */
  maxPayloadBytes: number;
}

interface EnvelopedRoot {
  execute(args: ExecutionArgs): unknown;
  subscribe(args: ExecutionArgs): unknown;
}

/**
 * graphql-ws (`graphql-transport-ws`) on the HTTP server's `/graphql`, through yoga's envelop so
 * the same limits, rate limits, metrics and error masking apply as over HTTP.
 */
export function attachGraphqlWs(
  server: Server,
  yoga: GraphqlServer,
  schemaOptions: SchemaOptions,
  limits: WsLimits,
): () => Promise<void> {
  // ws refuses a larger frame (or message assembled from fragments) before buffering it whole.
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes });
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/graphql') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      coalesceWrites(ws, socket);
      wss.emit('connection', ws, req);
    });
  });
  const disposable = useServer<Record<string, unknown>, { request: IncomingMessage }>(
    {
      connectionInitWaitTimeout: CONNECTION_INIT_TIMEOUT_MS,
      // A socket is for a signed-in user: an absent or bad token closes it with 4403.
      onConnect: async (ctx) => {
        const token = bearerToken(String(ctx.connectionParams?.authorization ?? ''));
        if (token === null) return false;
        return (await resolveToken(schemaOptions.pools.app, token)) !== null;
      },
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onSubscribe: async (ctx, id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          connectionParams: ctx.connectionParams,
          req: ctx.extra.request,
          params,
        });
        const document = parse(params.query);
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        const contextValue = await contextFactory();
        allowDirectDelivery(contextValue, id, ctx.extra.socket);
        return {
          schema,
          document,
          operationName: params.operationName,
          variableValues: params.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
      },
    },
    wss,
  );
  return async () => {
    for (const client of wss.clients) client.close(1001, 'Going away');
    await disposable.dispose();
  };
}
