/**
 * Live fan-out of what transactions announce with NOTIFY (`store.ts`): one LISTEN connection per
 * engine, demultiplexed to subscribers by workspace and execution. Announcements are sent inside
 * the transaction that wrote the event, so they exist exactly when the commit happened.
 */
import { withTenant } from '@weft/db';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { ExecutionStatusChange } from './engine-api.ts';
import type { Runtime } from './runtime.ts';
import { Channel } from './store.ts';
import type { ExecutionEvent, ExecutionStatus } from './types.ts';

/** How long an early announcement waits for the ones before it before the gap is read back. */
const GAP_WAIT_MS = 50;
const IDLE_REREAD_MS = 3000;

/** What arrives live for one execution: an event, or "you may have missed something, re-read". */
type LiveItem = { seq: number; event?: ExecutionEvent } | { resync: true };

/** An unbounded queue a single consumer awaits, ending when its signal aborts. */
class Inbox<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | null = null;

  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }

  /** The next item; null once `signal` aborts; 'idle' when nothing came within `idleMs`. */
  async next(signal: AbortSignal, idleMs = 0): Promise<T | null | 'idle'> {
    while (this.items.length === 0) {
      if (signal.aborted) return null;
      const woke = await new Promise<boolean>((resolve) => {
        const timer = idleMs > 0 ? setTimeout(() => finish(false), idleMs) : undefined;
        const onAbort = () => finish(true);
        const finish = (value: boolean) => {
          if (timer !== undefined) clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          this.wake = null;
          resolve(value);
        };
        this.wake = () => finish(true);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      if (!woke && this.items.length === 0) return 'idle';
    }
    return this.items.shift() ?? null;
  }
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
  private readonly executionSubs = new Map<string, Set<(item: LiveItem) => void>>();
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
          for (const subs of this.executionSubs.values()) for (const fn of subs) fn({ resync: true });
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
  }

  private dispatch(channel: string, payload: string): void {
    let data: EventPayload & { status?: ExecutionStatus };
    try {
      data = JSON.parse(payload) as EventPayload & { status?: ExecutionStatus };
    } catch {
      return;
    }
    if (channel === Channel.events) {
      const subs = this.executionSubs.get(`${data.w}/${data.e}`);
      if (subs === undefined) return;
      const event: ExecutionEvent | undefined =
        data.big === true || data.t === undefined
          ? undefined
          : {
              workspaceId: data.w,
              executionId: data.e,
              seq: data.seq,
              type: data.t,
              stepId: data.s ?? null,
              at: new Date(data.at ?? Date.now()),
              data: data.d ?? null,
            };
      for (const fn of subs) fn(event === undefined ? { seq: data.seq } : { seq: data.seq, event });
    } else if (channel === Channel.status && data.status !== undefined) {
      for (const fn of this.workspaceSubs.get(data.w) ?? []) {
        fn({ workspaceId: data.w, executionId: data.e, status: data.status });
      }
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
      client.query<{ seq: number; type: string; step_id: string | null; at: Date; data: unknown }>(
        `SELECT seq, type, step_id, at, data FROM execution_events
          WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000`,
        [executionId, afterSeq],
      ),
    );
    return rows.map((r) => ({
      workspaceId,
      executionId,
      seq: r.seq,
      type: r.type,
      stepId: r.step_id,
      at: r.at,
      data: r.data,
    }));
  }

  /**
   * Replays from the database, then tails live. Live items that arrive during the replay wait in
   * the inbox; anything at or below the last delivered seq is dropped and any gap is read back
   * from the database, so the seam has neither gaps nor duplicates.
   */
  async *subscribe(
    workspaceId: string,
    executionId: string,
    afterSeq: number,
    signal: AbortSignal,
  ): AsyncGenerator<ExecutionEvent> {
    const inbox = new Inbox<LiveItem>();
    const off = this.add(this.executionSubs, `${workspaceId}/${executionId}`, (item: LiveItem) => inbox.push(item));
    try {
      await this.start();
      let last = afterSeq;
      const catchUp = async function* (bus: EventBus): AsyncGenerator<ExecutionEvent> {
        for (;;) {
          const batch = await bus.readAfter(workspaceId, executionId, last);
          for (const event of batch) {
            last = event.seq;
            yield event;
          }
          if (batch.length < 1000) return;
        }
      };
      yield* catchUp(this);
      // Announcements from concurrent commits may arrive out of order. An early one waits here a
      // moment for the gap to fill live; only a gap that stays open is read back from the database
      // (with a thousand subscribers, a read each per reordering would swamp the pool).
      const early = new Map<number, ExecutionEvent>();
      let gapSince = 0;
      const drainEarly = function* (): Generator<ExecutionEvent> {
        for (const seq of early.keys()) if (seq <= last) early.delete(seq);
        for (let next = early.get(last + 1); next !== undefined; next = early.get(last + 1)) {
          early.delete(next.seq);
          last = next.seq;
          yield next;
        }
      };
      while (!signal.aborted) {
        const item = await inbox.next(signal, early.size > 0 ? GAP_WAIT_MS : IDLE_REREAD_MS);
        if (item === null) return;
        // An announcement can be lost (a worker dying between commit and publish): re-read when idle.
        if (item === 'idle' || 'resync' in item) {
          yield* catchUp(this);
          yield* drainEarly();
        } else if (item.seq <= last) continue;
        else if (item.event === undefined) {
          yield* catchUp(this);
          yield* drainEarly();
        } else if (item.seq === last + 1) {
          last = item.seq;
          yield item.event;
          yield* drainEarly();
        } else {
          if (early.size === 0) gapSince = Date.now();
          early.set(item.seq, item.event);
          // A steady stream of later events must not keep a lost one's gap open.
          if (Date.now() - gapSince >= GAP_WAIT_MS) {
            yield* catchUp(this);
            yield* drainEarly();
          }
        }
      }
    } finally {
      off();
    }
  }

  async *subscribeWorkspace(workspaceId: string, signal: AbortSignal): AsyncGenerator<ExecutionStatusChange> {
    const inbox = new Inbox<ExecutionStatusChange>();
    const off = this.add(this.workspaceSubs, workspaceId, (change: ExecutionStatusChange) => inbox.push(change));
    try {
      await this.start();
      for (;;) {
        const change = await inbox.next(signal);
        if (change === null) return;
        if (change !== 'idle') yield change;
      }
    } finally {
      off();
    }
  }
}
