import type { Redis } from 'ioredis';

export interface RateLimitResult {
  allowed: boolean;
  remaining: number;
  /** When the current window ends and the count starts again. */
  resetAt: Date;
}

/**
 * Counts hits per key in fixed windows. In-process counting answers synchronously: every operation
 * asks, and a promise per ask is measurable on the hot path.
 */
export interface RateLimiter {
  /** Counts `cost` hits (default 1) against `key`; allowed while the window's count stays within `limit`. */
  hit(key: string, limit: number, windowMs: number, cost?: number): RateLimitResult | Promise<RateLimitResult>;
}

function windowOf(windowMs: number): { start: number; resetAt: Date } {
  const start = Math.floor(Date.now() / windowMs) * windowMs;
  return { start, resetAt: new Date(start + windowMs) };
}

/** Shared by every API process behind one Redis. */
export function redisRateLimiter(redis: Redis): RateLimiter {
  return {
    async hit(key, limit, windowMs, cost = 1) {
      const { start, resetAt } = windowOf(windowMs);
      const redisKey = `weft:rl:${key}:${start}`;
      const result = await redis
        .multi()
        .incrby(redisKey, cost)
        .pexpire(redisKey, windowMs + 1000)
        .exec();
      const count = Number(result?.[0]?.[1] ?? 0);
      return { allowed: count <= limit, remaining: Math.max(0, limit - count), resetAt };
    },
  };
}

/** One process's counts, for deployments without Redis. */
export function memoryRateLimiter(): RateLimiter {
  const counts = new Map<string, { start: number; count: number }>();
  return {
    hit(key, limit, windowMs, cost = 1) {
      const { start, resetAt } = windowOf(windowMs);
      const entry = counts.get(key);
      const current = entry !== undefined && entry.start === start ? entry : { start, count: 0 };
      current.count += cost;
      counts.set(key, current);
      if (counts.size > 100_000) {
        for (const [k, v] of counts) if (v.start !== start) counts.delete(k);
      }
      return { allowed: current.count <= limit, remaining: Math.max(0, limit - current.count), resetAt };
    },
  };
}
