/**
 * One subscriber's events of an execution: its replay from `afterSeq`, then the shared tail, with
 * neither gap nor duplicate at the seam.
 *
 * A hand-written iterator, not an async generator over a queue: a live event is handed to the
 * waiting `next()` directly, one promise per event. With a thousand subscribers of one run, the
 * generator's extra awaits per event were a large share of the time to deliver it.
 */
import { type ExecutionTail, readPages } from './execution-tail.ts';
import type { ExecutionEvent } from './types.ts';

type Result = IteratorResult<ExecutionEvent, undefined>;

const DONE: Result = { done: true, value: undefined };

export class ExecutionEventStream implements AsyncIterableIterator<ExecutionEvent, undefined> {
  /** What replay or a catch-up read found, delivered before anything live. */
  private backlog: ExecutionEvent[] = [];
  private backlogHead = 0;
  /** Live events not yet taken. */
  private live: ExecutionEvent[] = [];
  private last: number;
  private ready = false;
  private ended = false;
  private busy: Promise<void> | null = null;
  private waiter: { resolve(r: Result): void; reject(e: unknown): void } | null = null;
  private readonly off: () => void;
  private readonly onAbort = () => this.end();

  constructor(
    private readonly tail: ExecutionTail,
    afterSeq: number,
    private readonly signal: AbortSignal,
    private readonly onEnd: () => void,
  ) {
    this.last = afterSeq;
    // Listening starts before the replay is read: whatever commits meanwhile is caught here.
    this.off = tail.listen((event) => this.onLive(event));
    if (signal.aborted) this.end();
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<Result> {
    if (this.ended) return Promise.resolve(DONE);
    const now = this.take();
    if (now !== null) return Promise.resolve(now);
    return new Promise<Result>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.pump();
    });
  }

  return(): Promise<Result> {
    this.end();
    return Promise.resolve(DONE);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.off();
    this.signal.removeEventListener('abort', this.onAbort);
    this.backlog = [];
    this.backlogHead = 0;
    this.live = [];
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.resolve(DONE);
    this.onEnd();
  }

  private onLive(event: ExecutionEvent): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter !== null && this.ready && this.backlogHead === this.backlog.length && this.live.length === 0) {
      if (event.seq === this.last + 1) {
        this.waiter = null;
        this.last = event.seq;
        waiter.resolve({ done: false, value: event });
        return;
      }
    }
    this.live.push(event);
    if (waiter !== null) this.pump();
  }

  /** The next deliverable event, if one is at hand without reading anything. */
  private take(): Result | null {
    if (!this.ready) return null;
    while (this.backlogHead < this.backlog.length) {
      const event = this.backlog[this.backlogHead++] as ExecutionEvent;
      if (event.seq === this.last + 1) {
        this.last = event.seq;
        return { done: false, value: event };
      }
    }
    while (this.live.length > 0) {
      const event = this.live[0] as ExecutionEvent;
      if (event.seq <= this.last) {
        this.live.shift();
        continue;
      }
      // A gap (only ever at this subscriber's seam: the tail itself has none) needs a read.
      if (event.seq > this.last + 1) return null;
      this.live.shift();
      this.last = event.seq;
      return { done: false, value: event };
    }
    return null;
  }

  /** Reads what is needed (the replay, or a seam gap) and then answers the waiting `next()`. */
  private pump(): void {
    if (this.busy !== null || this.waiter === null || this.ended) return;
    if (this.ready && !this.hasGap()) {
      const now = this.take();
      if (now !== null) this.answer(now);
      return;
    }
    this.busy = this.fill()
      .then(
        () => {
          this.ready = true;
          const now = this.take();
          if (now !== null) this.answer(now);
        },
        (error: unknown) => {
          const waiter = this.waiter;
          this.waiter = null;
          waiter?.reject(error);
          this.end();
        },
      )
      .finally(() => {
        this.busy = null;
        // More may have arrived (or a gap opened) while reading.
        if (this.waiter !== null) this.pump();
      });
  }

  /** Whether the next live event lies beyond a gap (with nothing in the backlog to fill it). */
  private hasGap(): boolean {
    if (this.backlogHead < this.backlog.length) return false;
    while (this.live.length > 0 && (this.live[0] as ExecutionEvent).seq <= this.last) this.live.shift();
    const next = this.live[0];
    return next !== undefined && next.seq > this.last + 1;
  }

  private answer(result: Result): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.resolve(result);
  }

  /** Everything after `last` that the tail has seen: from its memory if it reaches, else the database. */
  private async fill(): Promise<void> {
    await this.tail.ready;
    const cached = this.tail.replayFromMemory(this.last);
    if (cached !== null) {
      this.backlog = cached;
      this.backlogHead = 0;
      return;
    }
    const found: ExecutionEvent[] = [];
    for await (const page of readPages((after) => this.tail.readAfter(after), this.last)) {
      found.push(...page);
      if (this.ended) break;
    }
    this.backlog = found;
    this.backlogHead = 0;
  }
}
