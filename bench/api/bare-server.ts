// The baseline of the API benchmark: a bare graphql-yoga server answering `{ viewer { id } }` with
// the same resolver work as Weft's (bearer token resolved by hash in the database, the user row
// loaded) and none of Weft's plugins, plus a bare graphql-ws subscription (`events`) fed from
// memory: `POST /emit {"offsetsMs", "kind"}` publishes one event per offset (ms from now) to every subscriber
// (type `kind`, the last `<kind>.end`).
// Takes the database URL as its argument (then `yoga-defaults` for yoga's default body limit);
// prints "ready <port>".
import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import { createPools } from '@weft/db';
import { encodeGlobalId, resolveToken } from '@weft/schema';
import { useServer } from 'graphql-ws/use/ws';
import { createPubSub, createSchema, createYoga } from 'graphql-yoga';
import { WebSocketServer } from 'ws';

const databaseUrl = process.argv[2];
if (databaseUrl === undefined) throw new Error('usage: bare-server.ts <database url>');
const pools = createPools({ ownerUrl: databaseUrl, applicationName: 'bench-bare' });

interface Context {
  viewer: { userId: string } | null;
}
interface BareEvent {
  seq: number;
  type: string;
  at: string;
}
// 1,000 subscribers listen on one target: lift Node's leak warning threshold for it.
const eventTarget = new EventTarget();
setMaxListeners(0, eventTarget);
const pubSub = createPubSub<{ events: [BareEvent] }>({ eventTarget });

const schema = createSchema<Context>({
  typeDefs: `type User { id: ID! } type Query { viewer: User }
    type Event { seq: Int! type: String! at: String! } type Subscription { events: Event! }`,
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
    Subscription: {
      events: { subscribe: () => pubSub.subscribe('events'), resolve: (event: BareEvent) => event },
    },
  },
});

const yoga = createYoga({
  schema,
  context: async ({ request }): Promise<Context> => {
    const header = request.headers.get('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    return { viewer: token === '' ? null : await resolveToken(pools.app, token) };
  },
  logging: false,
  graphiql: false,
  // As Weft serves it (apps/api/src/graphql-body-limit.ts bounds the body by its declared length
  // instead), so the ratio measures what Weft adds, not a yoga setting; `yoga-defaults` keeps
  // yoga's own limit (a counting stream per body).
  ...(process.argv[3] === 'yoga-defaults' ? {} : { maxRequestBodySize: false as const }),
});

const server = createServer((req, res) => {
  if (req.url === '/emit' && req.method === 'POST') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { offsetsMs, kind } = JSON.parse(Buffer.concat(chunks).toString()) as {
        offsetsMs: number[];
        kind: string;
      };
      // One timer per distinct offset: events due together are published together (a burst).
      const due = new Map<number, number[]>();
      for (const [i, offset] of offsetsMs.entries()) due.set(offset, [...(due.get(offset) ?? []), i + 1]);
      const start = Date.now();
      for (const [offset, seqs] of due) {
        // `at` is when the event was due, as Weft's `at` is when its worker wrote it: a timer that
        // fires late because this server is still busy delivering earlier events is waiting the
        // latency must count (stamped when it fires, the backlog would not show).
        const at = new Date(start + offset).toISOString();
        setTimeout(() => {
          for (const seq of seqs) {
            const type = seq === offsetsMs.length ? `${kind}.end` : kind;
            pubSub.publish('events', { seq, type, at });
          }
        }, offset);
      }
      res.writeHead(202);
      res.end();
    });
    return;
  }
  void yoga(req, res);
});
useServer({ schema }, new WebSocketServer({ server, path: '/graphql' }));
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`ready ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void pools.close().then(() => process.exit(0));
});
