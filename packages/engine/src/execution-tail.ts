/**
 * One execution's live events, put in order once for every subscriber of it in this process.
 *
 * Announcements arrive out of order (concurrent commits publish independently), without data (an
 * event too large for NOTIFY) or not at all (a worker dying between commit and publish). Each of
 * those needs a database read. Done per subscriber, a thousand subscribers of one run turn one
 * reordering into a thousand reads that queue delivery behind them; done here, it is one read.
 * Listeners get each event once, in `seq` order, with no gap after the tail's anchor.
 */
import type { ExecutionEvent } from './types.ts';

/** How long an early announcement waits for the ones before it before the gap is read back. */
export const GAP_WAIT_MS = 50;
/** With nothing announced for this long, the tail reads the database in case one was lost. */
export const IDLE_REREAD_MS = 3000;
/** Recent events kept in memory, so a new subscriber's replay usually needs no query. */
const RECENT_LIMIT = 500;
/**
 * Events whose data is larger than this are not kept (what came through NOTIFY is smaller): a
 * step output can be megabytes, and 500 of them per watched run would be too much memory.
 */
const RECENT_MAX_DATA_CHARS = 8000;
/** Rows per read. */
export const READ_PAGE = 1000;

/** Everything after `afterSeq`, a page at a time, until a page comes back short. */
export async function* readPages(
  readAfter: (afterSeq: number) => Promise<ExecutionEvent[]>,
  afterSeq: number,
): AsyncGenerator<ExecutionEvent[]> {
  let after = afterSeq;
  for (;;) {
    const page = await readAfter(after);
    yield page;
    after = page.at(-1)?.seq ?? after;
    if (page.length < READ_PAGE) return;
  }
}

/** An announcement: the event, or only its seq when it was too large to carry. */
export interface Announced {
  seq: number;
  event?: ExecutionEvent;
}

export interface TailSource {
  /** Events after `afterSeq` in seq order, at most READ_PAGE, read under the tail's workspace. */
  readAfter(afterSeq: number): Promise<ExecutionEvent[]>;
  /** The latest events (at most `limit`, ascending) and the execution's last seq (0 if none). */
  readLatest(limit: number): Promise<{ events: ExecutionEvent[]; lastSeq: number }>;
  onError(err: unknown): void;
}

export class ExecutionTail {
  private readonly listeners = new Set<(event: ExecutionEvent) => void>();
  /** Highest seq delivered; every event up to it is in the database. */
  private last = 0;
  /** The newest events, ascending and contiguous, ending at `last`. */
  private recent: ExecutionEvent[] = [];
  private readonly early = new Map<number, ExecutionEvent>();
  private anchored = false;
  private gapTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  /** An announcement without data came before the anchor: it may lie beyond it. */
  private missedWhileAnchoring = false;
  private closed = false;
  /** Resolves once the tail knows where the execution stands; rejects if that read failed. */
  readonly ready: Promise<void>;

  constructor(private readonly source: TailSource) {
    this.ready = source.readLatest(RECENT_LIMIT).then(({ events, lastSeq }) => {
      if (this.closed) return;
      this.recent = events.filter((e) => e.seq <= lastSeq);
      // Only the run of small events at the end is kept (see RECENT_MAX_DATA_CHARS).
      const big = this.recent.findLastIndex((e) => (JSON.stringify(e.data) ?? '').length > RECENT_MAX_DATA_CHARS);
      if (big >= 0) this.recent = this.recent.slice(big + 1);
      this.last = lastSeq;
      this.anchored = true;
      this.drainEarly();
      this.armIdle();
      if (this.missedWhileAnchoring) this.read();
      else if (this.early.size > 0) this.gapTimer ??= setTimeout(() => this.read(), GAP_WAIT_MS);
    });
    // The rejection is handled by whoever awaits `ready`.
    this.ready.catch(() => {});
  }

  get size(): number {
    return this.listeners.size;
  }

  /** Registers a listener; returns its removal. */
  listen(fn: (event: ExecutionEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * The events after `afterSeq` held in memory, or null when memory does not reach back that far
   * (the caller reads the database instead).
   */
  replayFromMemory(afterSeq: number): ExecutionEvent[] | null {
    if (!this.anchored) return null;
    if (afterSeq >= this.last) return [];
    const first = this.recent[0];
    if (first === undefined || first.seq > afterSeq + 1) return null;
    return this.recent.slice(afterSeq + 1 - first.seq);
  }

  /** Reads events after `afterSeq` from the database, as the tail itself does. */
  readAfter(afterSeq: number): Promise<ExecutionEvent[]> {
    return this.source.readAfter(afterSeq);
  }

  /** Where the execution stands as far as this tail knows. */
  get lastSeq(): number {
    return this.last;
  }

  announce(item: Announced): void {
    if (this.closed) return;
    this.armIdle();
    if (item.seq <= this.last && this.anchored) return;
    if (item.event === undefined) {
      if (this.anchored) this.read();
      else this.missedWhileAnchoring = true;
      return;
    }
    if (this.anchored && item.seq === this.last + 1) {
      this.deliver(item.event);
      this.drainEarly();
      return;
    }
    this.early.set(item.seq, item.event);
    if (this.anchored) this.gapTimer ??= setTimeout(() => this.read(), GAP_WAIT_MS);
  }

  /** Something may have been missed (the listener connection dropped): read the database. */
  resync(): void {
    if (!this.closed && this.anchored) this.read();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.gapTimer);
    clearTimeout(this.idleTimer);
    this.listeners.clear();
  }

  private deliver(event: ExecutionEvent, checkSize = false): void {
    this.last = event.seq;
    // Memory stays contiguous: after an event too large to keep, it starts again from the next.
    if (checkSize && (JSON.stringify(event.data) ?? '').length > RECENT_MAX_DATA_CHARS) this.recent = [];
    else this.recent.push(event);
    if (this.recent.length > RECENT_LIMIT) this.recent.splice(0, this.recent.length - RECENT_LIMIT);
    for (const fn of this.listeners) fn(event);
  }

  private drainEarly(): void {
    for (const seq of this.early.keys()) if (seq <= this.last) this.early.delete(seq);
    for (let next = this.early.get(this.last + 1); next !== undefined; next = this.early.get(this.last + 1)) {
      this.early.delete(next.seq);
      this.deliver(next);
    }
    if (this.early.size === 0) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    }
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (!this.closed) this.idleTimer = setTimeout(() => this.read(), IDLE_REREAD_MS);
  }

  /** Reads everything after `last` (one read at a time; a request during a read reads again after). */
  private read(): void {
    if (this.closed || !this.anchored) return;
    if (this.reading !== null) {
      this.readAgain = true;
      return;
    }
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    this.reading = (async () => {
      do {
        this.readAgain = false;
        for await (const page of readPages((after) => this.readAfter(after), this.last)) {
          if (this.closed) return;
          for (const event of page) if (event.seq === this.last + 1) this.deliver(event, true);
        }
        this.drainEarly();
      } while (this.readAgain && !this.closed);
    })()
      .catch((err: unknown) => {
        // The next announcement or idle tick tries again.
        this.source.onError(err);
      })
      .finally(() => {
        this.reading = null;
        if (this.early.size > 0 && !this.closed) this.gapTimer ??= setTimeout(() => this.read(), GAP_WAIT_MS);
        this.armIdle();
      });
  }
}
