/** The smart cache: outputs by (tool, tool version, resolved input) per workspace, with a TTL. */
import { sha256Json } from './canonical-json.ts';
import type { TenantClient, ToolDefinition } from './types.ts';

export async function cacheGet(
  client: TenantClient,
  tool: ToolDefinition,
  input: unknown,
): Promise<{ hit: true; output: unknown } | { hit: false }> {
  const { rows } = await client.query<{ output: unknown }>(
    `SELECT output FROM step_cache WHERE tool = $1 AND tool_version = $2 AND input_hash = $3 AND expires_at > now()`,
    [tool.name, tool.version, sha256Json(input)],
  );
  const row = rows[0];
  return row === undefined ? { hit: false } : { hit: true, output: row.output };
}

export async function cachePut(
  client: TenantClient,
  tool: ToolDefinition,
  input: unknown,
  output: unknown,
  ttlMs: number,
): Promise<void> {
  await client.query(
    `INSERT INTO step_cache (workspace_id, tool, tool_version, input_hash, output, expires_at)
     VALUES (weft_current_workspace(), $1, $2, $3, $4, now() + make_interval(secs => $5 / 1000.0))
     ON CONFLICT (workspace_id, tool, tool_version, input_hash)
       DO UPDATE SET output = excluded.output, expires_at = excluded.expires_at, created_at = now()`,
    [tool.name, tool.version, sha256Json(input), JSON.stringify(output ?? null), ttlMs],
  );
}
