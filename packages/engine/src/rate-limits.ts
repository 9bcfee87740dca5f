/**
 * Token buckets per workspace and per workspace+tool, in Redis when the engine has one, else in
 * Postgres (`rate_buckets`). A step that finds a bucket empty is re-queued for when a token will
 * be there; it never fails for it.
 */
import type { RateLimit, RateLimitOptions, Runtime } from './runtime.ts';
import type { TenantClient } from './types.ts';

interface Bucket {
  key: string;
  limit: RateLimit;
}

function bucketsFor(options: RateLimitOptions, tool: string): Bucket[] {
  const buckets: Bucket[] = [];
  if (options.perWorkspace !== undefined) buckets.push({ key: 'workspace', limit: options.perWorkspace });
  const perTool = options.perTool?.[tool];
  if (perTool !== undefined) buckets.push({ key: `tool:${tool}`, limit: perTool });
  return buckets.sort((a, b) => a.key.localeCompare(b.key));
}

// All buckets or none, on Redis's clock: returns 0 (tokens taken) or the wait in ms.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
local state = {}
for i, k in ipairs(KEYS) do
  local cap = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  local v = redis.call('HMGET', k, 'tokens', 'ts')
  local tokens = tonumber(v[1]) or cap
  local ts = tonumber(v[2]) or now
  tokens = math.min(cap, tokens + (now - ts) * rate)
  state[i] = tokens
  if tokens < 1 then wait = math.max(wait, math.ceil((1 - tokens) / rate)) end
end
if wait > 0 then return wait end
for i, k in ipairs(KEYS) do
  redis.call('HSET', k, 'tokens', tostring(state[i] - 1), 'ts', tostring(now))
  redis.call('PEXPIRE', k, 86400000)
end
return 0`;

/** Takes one token from every bucket that applies, or none: returns 0, or how long to wait (ms). */
export async function takeToken(rt: Runtime, client: TenantClient, workspaceId: string, tool: string): Promise<number> {
  const buckets = bucketsFor(rt.rateLimits, tool);
  if (buckets.length === 0) return 0;
  if (rt.redis !== null) {
    const wait = await rt.redis.eval(
      TAKE,
      buckets.length,
      ...buckets.map((b) => `weft:rate:${workspaceId}:${b.key}`),
      ...buckets.flatMap((b) => [b.limit.capacity, b.limit.refillPerSecond / 1000]),
    );
    return Number(wait);
  }
  const states: Array<{ bucket: Bucket; tokens: number }> = [];
  let waitMs = 0;
  for (const bucket of buckets) {
    await client.query(
      `INSERT INTO rate_buckets (workspace_id, key, tokens) VALUES (weft_current_workspace(), $1, $2)
       ON CONFLICT DO NOTHING`,
      [bucket.key, bucket.limit.capacity],
    );
    const { rows } = await client.query<{ tokens: number; elapsed: number }>(
      `SELECT tokens, extract(epoch FROM clock_timestamp() - updated_at)::float8 AS elapsed
         FROM rate_buckets WHERE key = $1 FOR UPDATE`,
      [bucket.key],
    );
    const row = rows[0];
    if (row === undefined) continue;
    const tokens = Math.min(bucket.limit.capacity, row.tokens + row.elapsed * bucket.limit.refillPerSecond);
    states.push({ bucket, tokens });
    if (tokens < 1) waitMs = Math.max(waitMs, Math.ceil(((1 - tokens) / bucket.limit.refillPerSecond) * 1000));
  }
  if (waitMs > 0) return waitMs;
  for (const { bucket, tokens } of states) {
    await client.query('UPDATE rate_buckets SET tokens = $2, updated_at = clock_timestamp() WHERE key = $1', [
      bucket.key,
      tokens - 1,
    ]);
  }
  return 0;
}
