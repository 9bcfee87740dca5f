/**
 * Live fan-out of what transactions announce (`store.ts`; NOTIFY, or Redis pub/sub when
 * configured): one LISTEN connection (and Redis subscriber) per engine, demultiplexed by workspace
 * and execution. Announcements go out at or after commit, so what they name is readable.
 * Each watched execution has one shared `ExecutionTail` that orders its events for all its
 * subscribers in this process.
 */
import { withTenant } from '@weft/db';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { ExecutionStatusChange } from './engine-api.ts';
import { ExecutionEventStream } from './execution-event-stream.ts';
import { type Announced, ExecutionTail, READ_PAGE } from './execution-tail.ts';
import type { Runtime } from './runtime.ts';
import { Channel } from './store.ts';
import type { ExecutionEvent, ExecutionStatus } from './types.ts';

/** An unbounded queue a single consumer awaits, ending when its signal aborts. */
class Inbox<T> {
  private readonly items: T[] = [];
  private head = 0;
  private wake: (() => void) | null = null;

  push(item: T): void {
    this.items.push(item);
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** The next item; null once `signal` aborts. */
  async next(signal: AbortSignal): Promise<T | null> {
    while (this.head === this.items.length) {
      if (signal.aborted) return null;
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
      });
    }
    const item = this.items[this.head++] as T;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    return item;
  }
}

interface EventRow {
  seq: number;
  type: string;
  step_id: string | null;
  at: Date;
  data: unknown;
}

function toEvent(workspaceId: string, executionId: string, r: EventRow): ExecutionEvent {
  return { workspaceId, executionId, seq: r.seq, type: r.type, stepId: r.step_id, at: r.at, data: r.data };
}

interface EventPayload {
  w: string;
  e: string;
  seq: number;
  t?: string;
  s?: string | null;
  at?: string;
  d?: unknown;
  big?: boolean;
}

export class EventBus {
  private client: pg.Client | null = null;
  private redisSub: Redis | null = null;
  private starting: Promise<void> | null = null;
  private stopped = false;
  /** One ordered stream per watched execution, shared by its subscribers in this process. */
  private readonly tails = new Map<string, ExecutionTail>();
  private readonly workspaceSubs = new Map<string, Set<(change: ExecutionStatusChange) => void>>();

  constructor(
    private readonly rt: Runtime,
    private readonly onCancel: (workspaceId: string, executionId: string) => void,
    private readonly redis: Redis | null = null,
  ) {}

  /** Connects and LISTENs (once); later calls wait for the same connection. */
  start(): Promise<void> {
    // A failed start (database or Redis down) is not remembered: the next subscriber tries again.
    this.starting ??= this.connect().catch((error: unknown) => {
      this.starting = null;
      throw error;
    });
    return this.starting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.rt.pools.app.options);
    client.on('notification', (msg) => this.dispatch(msg.channel, msg.payload ?? ''));
    client.on('error', (err) => {
      this.rt.logger.warn({ err }, 'event listener connection lost; reconnecting');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    await client.connect();
    await client.query(`LISTEN ${Channel.events}; LISTEN ${Channel.status}; LISTEN ${Channel.cancel}`);
    this.client = client;
    if (this.redis !== null && this.redisSub === null) {
      // Workers publish to Redis after commit when it is configured; controls still NOTIFY.
      const sub = this.redis.duplicate();
      sub.on('message', (channel: string, payload: string) => this.dispatch(channel, payload));
      sub.on('error', (err) => this.rt.logger.warn({ err }, 'redis subscriber error'));
      try {
        await sub.subscribe(Channel.events, Channel.status, Channel.cancel);
      } catch (error) {
        sub.disconnect();
        this.client = null;
        await client.end().catch(() => {});
        throw error;
      }
      this.redisSub = sub;
    }
  }

  private reconnect(old: pg.Client): void {
    if (this.stopped || this.client !== old) return;
    this.client = null;
    const retry = () => {
      if (this.stopped) return;
      this.connect().then(
        () => {
          // Notifications sent while disconnected are gone: every subscriber re-reads from its last seq.
          for (const tail of this.tails.values()) tail.resync();
        },
        () => setTimeout(retry, 500),
      );
    };
    setTimeout(retry, 100);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
    this.redisSub?.disconnect();
    this.redisSub = null;
    for (const tail of this.tails.values()) tail.close();
    this.tails.clear();
  }

  private dispatch(channel: string, payload: string): void {
    let data: EventPayload & { status?: ExecutionStatus };
    try {
      data = JSON.parse(payload) as EventPayload & { status?: ExecutionStatus };
    } catch {
      return;
    }
    if (channel === Channel.events) {
      const tail = this.tails.get(`${data.w}/${data.e}`);
      if (tail === undefined) return;
      const item: Announced =
        data.big === true || data.t === undefined
          ? { seq: data.seq }
          : {
              seq: data.seq,
              event: {
                workspaceId: data.w,
                executionId: data.e,
                seq: data.seq,
                type: data.t,
                stepId: data.s ?? null,
                at: new Date(data.at ?? Date.now()),
                data: data.d ?? null,
              },
            };
      tail.announce(item);
    } else if (channel === Channel.status && data.status !== undefined) {
      // One object for every subscriber: results computed from it can be shared (see the API).
      const change: ExecutionStatusChange = { workspaceId: data.w, executionId: data.e, status: data.status };
      for (const fn of this.workspaceSubs.get(data.w) ?? []) fn(change);
    } else if (channel === Channel.cancel) {
      this.onCancel(data.w, data.e);
    }
  }

  private add<K, V>(map: Map<K, Set<V>>, key: K, value: V): () => void {
    let set = map.get(key);
    if (set === undefined) {
      set = new Set();
      map.set(key, set);
    }
    set.add(value);
    return () => {
      set.delete(value);
      if (set.size === 0) map.delete(key);
    };
  }

  private async readAfter(workspaceId: string, executionId: string, afterSeq: number): Promise<ExecutionEvent[]> {
    const { rows } = await withTenant(this.rt.pools.app, { workspaceId }, (client) =>
      client.query<EventRow>(
        `SELECT seq, type, step_id, at, data FROM execution_events
          WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT ${READ_PAGE}`,
        [executionId, afterSeq],
      ),
    );
    return rows.map((r) => toEvent(workspaceId, executionId, r));
  }

  /** The execution's last seq and its latest events, in one statement (one snapshot). */
  private async readLatest(
    workspaceId: string,
    executionId: string,
    limit: number,
  ): Promise<{ events: ExecutionEvent[]; lastSeq: number }> {
    const { rows } = await withTenant(this.rt.pools.app, { workspaceId }, (client) =>
      client.query<{ last_seq: number } & Partial<EventRow>>(
        `SELECT x.last_seq, ev.seq, ev.type, ev.step_id, ev.at, ev.data
           FROM executions x
           LEFT JOIN LATERAL (
             SELECT seq, type, step_id, at, data FROM execution_events
              WHERE execution_id = x.id ORDER BY seq DESC LIMIT $2
           ) ev ON true
          WHERE x.id = $1`,
        [executionId, limit],
      ),
    );
    const events = rows
      .filter((r): r is { last_seq: number } & EventRow => r.seq !== null && r.seq !== undefined)
      .map((r) => toEvent(workspaceId, executionId, r))
      .reverse();
    // No row: not an execution of this workspace. Nothing will be announced for it here either.
    return { events, lastSeq: rows[0]?.last_seq ?? 0 };
  }

  /** The shared tail of an execution, created (and anchored) by its first subscriber. */
  private tailOf(workspaceId: string, executionId: string): ExecutionTail {
    const key = `${workspaceId}/${executionId}`;
    let tail = this.tails.get(key);
    if (tail === undefined) {
      const created = new ExecutionTail({
        readAfter: (afterSeq) => this.readAfter(workspaceId, executionId, afterSeq),
        // Listening starts before the anchor is read: nothing committed after it goes unheard.
        readLatest: (limit) => this.start().then(() => this.readLatest(workspaceId, executionId, limit)),
        onError: (err) => this.rt.logger.warn({ err, executionId }, 'reading live events failed'),
      });
      // An anchor that failed is not kept: the next subscriber tries again.
      created.ready.catch(() => this.dropTail(key, created));
      this.tails.set(key, created);
      tail = created;
    }
    return tail;
  }

  /**
   * Replays, then tails live (`ExecutionEventStream`): the subscriber listens to the execution's
   * shared tail before it replays (from the tail's memory when it reaches back far enough, else
   * from the database) and drops what it already has, so the seam has neither gaps nor duplicates.
   */
  subscribe(
    workspaceId: string,
    executionId: string,
    afterSeq: number,
    signal: AbortSignal,
  ): AsyncIterableIterator<ExecutionEvent, undefined> {
    const key = `${workspaceId}/${executionId}`;
    const tail = this.tailOf(workspaceId, executionId);
    return new ExecutionEventStream(tail, afterSeq, signal, () => {
      if (tail.size === 0) this.dropTail(key, tail);
    });
  }

  private dropTail(key: string, tail: ExecutionTail): void {
    if (this.tails.get(key) !== tail) return;
    this.tails.delete(key);
    tail.close();
  }

  async *subscribeWorkspace(workspaceId: string, signal: AbortSignal): AsyncGenerator<ExecutionStatusChange> {
    const inbox = new Inbox<ExecutionStatusChange>();
    const off = this.add(this.workspaceSubs, workspaceId, (change: ExecutionStatusChange) => inbox.push(change));
    try {
      await this.start();
      for (;;) {
        const change = await inbox.next(signal);
        if (change === null) return;
        yield change;
      }
    } finally {
      off();
    }
  }
}
