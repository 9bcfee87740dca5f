-- Up Migration
-- Planner: token usage of every LLM draft, per workspace (what the model cost, and how often it
-- needed repairs). Tenant table: workspace_id first in the key, FORCED RLS.

CREATE TABLE planner_usage (
  workspace_id      uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id                uuid NOT NULL DEFAULT gen_random_uuid(),
  model             text NOT NULL,
  outcome           text NOT NULL CHECK (outcome IN ('OK', 'LLM_TIMEOUT', 'LLM_RATE_LIMITED', 'LLM_ERROR',
                      'PLAN_INVALID', 'NEEDS_LLM', 'NO_SUITABLE_TOOLS', 'BAD_REQUEST')),
  attempts          integer NOT NULL CHECK (attempts >= 0),
  requests          integer NOT NULL CHECK (requests >= 0),
  prompt_tokens     integer NOT NULL CHECK (prompt_tokens >= 0),
  completion_tokens integer NOT NULL CHECK (completion_tokens >= 0),
  total_tokens      integer NOT NULL CHECK (total_tokens >= 0),
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id)
);
CREATE INDEX planner_usage_at_idx ON planner_usage (workspace_id, created_at DESC);

ALTER TABLE planner_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE planner_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON planner_usage USING (workspace_id = weft_current_workspace())
  WITH CHECK (workspace_id = weft_current_workspace());

-- Learning engine: attempts of one tool over time, and executions of one plan version (A/B).
CREATE INDEX planner_executions_version_idx ON executions (workspace_id, plan_version_id, created_at DESC);
