-- Up Migration
-- Foundation schema. Conventions (see ARCHITECTURE.md):
--  * every tenant table carries workspace_id, has it first in its primary key and in every unique
--    constraint and foreign key between tenant tables (Citus-ready: workspace_id is the
--    distribution column), and has FORCED row-level security bound to the transaction-local
--    setting weft.workspace_id;
--  * the application connects as weft_app, which owns nothing and cannot bypass RLS.

CREATE EXTENSION IF NOT EXISTS citext;

-- Roles are cluster-wide and several Weft databases may share one server, so creating the role
-- must tolerate it existing already, even when another database's migration creates it right now.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'weft_app') THEN
    CREATE ROLE weft_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;

CREATE FUNCTION weft_current_workspace() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('weft.workspace_id', true), '')::uuid $$;

CREATE FUNCTION weft_current_user() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('weft.user_id', true), '')::uuid $$;

-- ---------------------------------------------------------------- accounts (not tenant-scoped)
CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         citext NOT NULL UNIQUE,
  name          text,
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Session and API tokens; only a SHA-256 of the opaque token is stored.
CREATE TABLE auth_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('session', 'api')),
  -- API tokens are bound to one workspace; session tokens are not.
  workspace_id uuid,
  name         text,
  token_hash   bytea NOT NULL UNIQUE,
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (kind = 'session' OR workspace_id IS NOT NULL)
);
CREATE INDEX auth_tokens_user_idx ON auth_tokens (user_id);

-- Failed log-in attempts, to slow brute force per email and per client address.
CREATE TABLE login_attempts (
  key        text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_key_at_idx ON login_attempts (key, at);

-- ---------------------------------------------------------------- tenancy
CREATE TABLE workspaces (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug       citext NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  settings   jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role         text NOT NULL CHECK (role IN ('ADMIN', 'MEMBER', 'VIEWER')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- ---------------------------------------------------------------- plans
CREATE TABLE plans (
  workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  latest_version integer NOT NULL DEFAULT 0,
  created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id),
  UNIQUE (workspace_id, name)
);

CREATE TABLE plan_versions (
  workspace_id uuid NOT NULL,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  plan_id      uuid NOT NULL,
  number       integer NOT NULL CHECK (number >= 1),
  parent_number integer,
  spec         jsonb NOT NULL,
  content_hash text NOT NULL,
  message      text,
  created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id),
  UNIQUE (workspace_id, plan_id, number),
  FOREIGN KEY (workspace_id, plan_id) REFERENCES plans (workspace_id, id) ON DELETE CASCADE
);

-- ---------------------------------------------------------------- executions
CREATE TABLE executions (
  workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  plan_id         uuid NOT NULL,
  plan_version_id uuid NOT NULL,
  status          text NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'RUNNING', 'PAUSED',
                    'WAITING_APPROVAL', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'ROLLING_BACK', 'ROLLED_BACK')),
  mode            text NOT NULL DEFAULT 'LIVE' CHECK (mode IN ('LIVE', 'DRY_RUN')),
  input           jsonb,
  output          jsonb,
  error           text,
  context         jsonb NOT NULL DEFAULT '{}',
  last_seq        integer NOT NULL DEFAULT 0,
  trace_id        text,
  created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz,
  PRIMARY KEY (workspace_id, id),
  FOREIGN KEY (workspace_id, plan_version_id) REFERENCES plan_versions (workspace_id, id),
  FOREIGN KEY (workspace_id, plan_id) REFERENCES plans (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX executions_status_idx ON executions (workspace_id, status, created_at DESC);

CREATE TABLE step_runs (
  workspace_id uuid NOT NULL,
  execution_id uuid NOT NULL,
  step_id      text NOT NULL,
  status       text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED',
                 'FAILED', 'SKIPPED', 'WAITING_APPROVAL', 'CANCELLED', 'COMPENSATED')),
  attempts     integer NOT NULL DEFAULT 0,
  input        jsonb,
  output       jsonb,
  error        text,
  cache_hit    boolean NOT NULL DEFAULT false,
  -- Fencing: every dispatch takes a new token; results carrying an older token are rejected.
  fence        bigint NOT NULL DEFAULT 0,
  lease_owner  text,
  lease_expires_at timestamptz,
  next_attempt_at timestamptz,
  started_at   timestamptz,
  finished_at  timestamptz,
  PRIMARY KEY (workspace_id, execution_id, step_id),
  FOREIGN KEY (workspace_id, execution_id) REFERENCES executions (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE step_attempts (
  workspace_id uuid NOT NULL,
  execution_id uuid NOT NULL,
  step_id      text NOT NULL,
  attempt      integer NOT NULL,
  fence        bigint NOT NULL,
  status       text NOT NULL CHECK (status IN ('RUNNING', 'SUCCEEDED', 'FAILED', 'LOST', 'CANCELLED')),
  tool         text,
  input        jsonb,
  output       jsonb,
  error        text,
  worker_id    text,
  cache_hit    boolean NOT NULL DEFAULT false,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  duration_ms  double precision,
  PRIMARY KEY (workspace_id, execution_id, step_id, attempt),
  FOREIGN KEY (workspace_id, execution_id) REFERENCES executions (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX step_attempts_tool_idx ON step_attempts (workspace_id, tool, started_at DESC);

-- Ordered, gapless per execution: seq is taken from executions.last_seq in the same transaction.
CREATE TABLE execution_events (
  workspace_id uuid NOT NULL,
  execution_id uuid NOT NULL,
  seq          integer NOT NULL CHECK (seq >= 1),
  type         text NOT NULL,
  step_id      text,
  data         jsonb,
  at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, execution_id, seq),
  FOREIGN KEY (workspace_id, execution_id) REFERENCES executions (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE approvals (
  workspace_id uuid NOT NULL,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  execution_id uuid NOT NULL,
  step_id      text NOT NULL,
  status       text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'EXPIRED')),
  message      text,
  approvers    text[] NOT NULL DEFAULT '{}',
  decided_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  comment      text,
  expires_at   timestamptz,
  decided_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id),
  UNIQUE (workspace_id, execution_id, step_id),
  FOREIGN KEY (workspace_id, execution_id) REFERENCES executions (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX approvals_status_idx ON approvals (workspace_id, status, created_at DESC);

-- ---------------------------------------------------------------- plugins
-- The marketplace is global: anyone may read it; installing is per workspace.
CREATE TABLE plugins (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name         text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  publisher    text NOT NULL,
  publisher_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  description  text,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE plugin_versions (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  plugin_id    uuid NOT NULL REFERENCES plugins (id) ON DELETE CASCADE,
  version      text NOT NULL,
  manifest     jsonb NOT NULL,
  bundle       text NOT NULL,
  integrity    text NOT NULL,
  capabilities text[] NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (plugin_id, version)
);

CREATE TABLE plugin_installations (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  plugin_id    uuid NOT NULL REFERENCES plugins (id),
  plugin_version_id uuid NOT NULL REFERENCES plugin_versions (id),
  granted_capabilities text[] NOT NULL DEFAULT '{}',
  enabled      boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id),
  UNIQUE (workspace_id, plugin_id)
);

CREATE TABLE plugin_kv (
  workspace_id    uuid NOT NULL,
  installation_id uuid NOT NULL,
  key             text NOT NULL,
  value           jsonb NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, installation_id, key),
  FOREIGN KEY (workspace_id, installation_id) REFERENCES plugin_installations (workspace_id, id) ON DELETE CASCADE
);

-- Encrypted with SECRET_KEY (AES-256-GCM); never returned by the API.
CREATE TABLE secrets (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$'),
  ciphertext   bytea NOT NULL,
  created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, name)
);

-- ---------------------------------------------------------------- webhooks
CREATE TABLE webhooks (
  workspace_id uuid NOT NULL,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  plan_id      uuid NOT NULL,
  secret_ciphertext bytea NOT NULL,
  created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id),
  FOREIGN KEY (workspace_id, plan_id) REFERENCES plans (workspace_id, id) ON DELETE CASCADE
);

-- Inbound deliveries: the delivery id makes a replay a no-op.
CREATE TABLE webhook_deliveries (
  workspace_id uuid NOT NULL,
  webhook_id   uuid NOT NULL,
  delivery_id  text NOT NULL,
  execution_id uuid,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, webhook_id, delivery_id),
  FOREIGN KEY (workspace_id, webhook_id) REFERENCES webhooks (workspace_id, id) ON DELETE CASCADE
);

-- Outbound: where to send a workspace's execution events, and the log of each attempt.
CREATE TABLE webhook_endpoints (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  url          text NOT NULL,
  event_types  text[] NOT NULL DEFAULT '{}',
  secret_ciphertext bytea NOT NULL,
  enabled      boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, id)
);

CREATE TABLE webhook_endpoint_deliveries (
  workspace_id uuid NOT NULL,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  endpoint_id  uuid NOT NULL,
  execution_id uuid,
  event_seq    integer,
  event_type   text NOT NULL,
  payload      jsonb NOT NULL,
  status       text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
  attempts     integer NOT NULL DEFAULT 0,
  response_status integer,
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  PRIMARY KEY (workspace_id, id),
  FOREIGN KEY (workspace_id, endpoint_id) REFERENCES webhook_endpoints (workspace_id, id) ON DELETE CASCADE
);

-- ---------------------------------------------------------------- audit
CREATE TABLE audit_log (
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  actor_id     uuid REFERENCES users (id) ON DELETE SET NULL,
  action       text NOT NULL,
  target_id    text,
  before       jsonb,
  after        jsonb,
  at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (workspace_id, id)
);
CREATE INDEX audit_log_at_idx ON audit_log (workspace_id, at DESC);

-- ---------------------------------------------------------------- row-level security
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['plans', 'plan_versions', 'executions', 'step_runs', 'step_attempts',
    'execution_events', 'approvals', 'plugin_installations', 'plugin_kv', 'secrets', 'webhooks',
    'webhook_deliveries', 'webhook_endpoints', 'webhook_endpoint_deliveries', 'audit_log']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (workspace_id = weft_current_workspace())
                    WITH CHECK (workspace_id = weft_current_workspace())', t);
  END LOOP;
END
$$;

-- A user sees the memberships of the workspace in scope and their own (to list their workspaces);
-- writes are only ever into the workspace in scope.
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY membership_read ON memberships FOR SELECT
  USING (workspace_id = weft_current_workspace() OR user_id = weft_current_user());
CREATE POLICY membership_write ON memberships FOR INSERT WITH CHECK (workspace_id = weft_current_workspace());
CREATE POLICY membership_update ON memberships FOR UPDATE
  USING (workspace_id = weft_current_workspace()) WITH CHECK (workspace_id = weft_current_workspace());
CREATE POLICY membership_delete ON memberships FOR DELETE USING (workspace_id = weft_current_workspace());

ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_read ON workspaces FOR SELECT
  USING (id = weft_current_workspace()
    OR EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = workspaces.id AND m.user_id = weft_current_user()));
CREATE POLICY workspace_write ON workspaces FOR INSERT WITH CHECK (id = weft_current_workspace());
CREATE POLICY workspace_update ON workspaces FOR UPDATE
  USING (id = weft_current_workspace()) WITH CHECK (id = weft_current_workspace());
CREATE POLICY workspace_delete ON workspaces FOR DELETE USING (id = weft_current_workspace());

-- ---------------------------------------------------------------- privileges of the app role
GRANT USAGE ON SCHEMA public TO weft_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO weft_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO weft_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO weft_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO weft_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO weft_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO weft_app;
