import type { Redis } from 'ioredis';
import type pg from 'pg';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface Readiness {
  ok: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function databaseCheck(pool: pg.Pool): ReadinessCheck {
  return { name: 'database', check: async () => void (await pool.query('SELECT 1')) };
}

export function redisCheck(redis: Redis): ReadinessCheck {
  return { name: 'redis', check: async () => void (await redis.ping()) };
}

/** Runs every check concurrently, each bounded so a hung dependency reads as "not ready". */
export async function checkReadiness(checks: ReadinessCheck[], timeoutMs = 2000): Promise<Readiness> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        await withTimeout(c.check(), timeoutMs, c.name);
        return [c.name, { ok: true }] as const;
      } catch (error) {
        return [c.name, { ok: false, error: error instanceof Error ? error.message : String(error) }] as const;
      }
    }),
  );
  return { ok: results.every(([, r]) => r.ok), checks: Object.fromEntries(results) };
}
