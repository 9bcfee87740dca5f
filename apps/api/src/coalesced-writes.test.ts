import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { coalesceWrites } from './coalesced-writes.ts';

let server: Server | undefined;
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** A real HTTP server whose WebSocket connections coalesce their writes, and one client of it. */
async function connect(): Promise<{ serverSide: WebSocket; raw: Socket; client: WebSocket }> {
  const wss = new WebSocketServer({ noServer: true });
  server = createServer();
  const accepted = new Promise<{ serverSide: WebSocket; raw: Socket }>((resolve) => {
    server?.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        coalesceWrites(ws, socket);
        resolve({ serverSide: ws, raw: socket as Socket });
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  clients.push(client);
  await once(client, 'open');
  return { ...(await accepted), client };
}

describe('coalesced WebSocket writes', () => {
  it('a burst sent in one turn arrives complete and in order, and every send is acknowledged', async () => {
    const { serverSide, client } = await connect();
    const received: string[] = [];
    const all = new Promise<void>((resolve) => {
      client.on('message', (data) => {
        received.push(String(data));
        if (received.length === 500) resolve();
      });
    });
    const acks = Array.from(
      { length: 500 },
      (_, i) =>
        new Promise<void>((resolve, reject) => serverSide.send(`m${i}`, (err) => (err ? reject(err) : resolve()))),
    );
    await Promise.all(acks);
    await all;
    expect(received).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
  });

  it('stops acknowledging early once a client that does not read has data piling up', async () => {
    const { serverSide, raw, client } = await connect();
    // The client stops reading: the kernel buffers fill and unsent data stays with us.
    client.pause();
    const chunk = 'x'.repeat(64 * 1024);
    let acknowledged = 0;
    for (let i = 0; i < 400; i++) {
      serverSide.send(chunk, () => {
        acknowledged++;
      });
      // Let each turn end so the corked writes go out and the buffers fill up.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    // 400 × 64 KiB = 25 MiB sent; what is acknowledged is what left or was under the threshold.
    expect(raw.writableLength).toBeGreaterThan(1024 * 1024);
    expect(acknowledged).toBeLessThan(400);
  });
});
