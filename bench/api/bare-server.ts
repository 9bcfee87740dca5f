// The baseline of the API benchmark: a bare graphql-yoga server answering `{ viewer { id } }` with
// the same resolver work as Weft's (bearer token resolved by hash in the database, the user row
// loaded) and none of Weft's plugins. Takes the database URL as its argument; prints "ready <port>".
import { createServer } from 'node:http';
import { createPools } from '@weft/db';
import { encodeGlobalId, resolveToken } from '@weft/schema';
import { createSchema, createYoga } from 'graphql-yoga';

const databaseUrl = process.argv[2];
if (databaseUrl === undefined) throw new Error('usage: bare-server.ts <database url>');
const pools = createPools({ ownerUrl: databaseUrl, applicationName: 'bench-bare' });

interface Context {
  viewer: { userId: string } | null;
}

const yoga = createYoga({
  schema: createSchema<Context>({
    typeDefs: 'type User { id: ID! } type Query { viewer: User }',
    resolvers: {
      Query: {
        viewer: async (_root: unknown, _args: unknown, ctx: Context) => {
          if (ctx.viewer === null) return null;
          const { rows } = await pools.app.query<{ id: string }>('SELECT id FROM users WHERE id = $1', [
            ctx.viewer.userId,
          ]);
          return rows[0] === undefined ? null : { id: encodeGlobalId('User', rows[0].id) };
        },
      },
    },
  }),
  context: async ({ request }): Promise<Context> => {
    const header = request.headers.get('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    return { viewer: token === '' ? null : await resolveToken(pools.app, token) };
  },
  logging: false,
  graphiql: false,
});

const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`ready ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void pools.close().then(() => process.exit(0));
});
