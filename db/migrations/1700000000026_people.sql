-- Up Migration
-- People: a readable audit log, the workspace's API tokens for its admins, invitations in view.

-- An audit row keeps a readable name of its target as it was then (a member's email, a token's or
-- a plan's name), so the log still reads after the target is gone. Old rows have none.
ALTER TABLE audit_log ADD COLUMN target_label text CHECK (length(target_label) <= 300);
-- audit_log's INSERT is granted per column since migration 15: the new column needs its own.
GRANT INSERT (target_label) ON audit_log TO weft_app;

-- The audit log is filtered by actor and by action, newest first, within one workspace.
CREATE INDEX audit_log_actor_at_idx ON audit_log (workspace_id, actor_id, at DESC);
CREATE INDEX audit_log_action_at_idx ON audit_log (workspace_id, action, at DESC);

-- The members of the current workspace who were invited and have not signed up (no password yet).
-- weft_app cannot read password_hash; this answers only for the workspace in scope.
CREATE FUNCTION weft_auth.invited_members(p_workspace_id uuid)
  RETURNS SETOF uuid LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
   WHERE m.workspace_id = p_workspace_id AND p_workspace_id = weft_current_workspace()
     AND u.password_hash IS NULL
$$;

-- Whether the user in scope is an admin of the workspace in scope: the API checked the role
-- already (CASL); the functions below ask again so that no other path can list or revoke
-- another member's token.
CREATE FUNCTION weft_auth.is_current_admin(p_workspace_id uuid)
  RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT p_workspace_id = weft_current_workspace() AND EXISTS (
    SELECT 1 FROM memberships m
     WHERE m.workspace_id = p_workspace_id AND m.user_id = weft_current_user() AND m.role = 'ADMIN')
$$;

-- The workspace's live API tokens, every member's (admins only), newest first.
CREATE FUNCTION weft_auth.workspace_api_tokens(p_workspace_id uuid)
  RETURNS TABLE (id uuid, user_id uuid, name text, created_at timestamptz, expires_at timestamptz,
                 last_used_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT t.id, t.user_id, t.name, t.created_at, t.expires_at, t.last_used_at FROM auth_tokens t
   WHERE t.workspace_id = p_workspace_id AND t.kind = 'api' AND t.revoked_at IS NULL
     AND (t.expires_at IS NULL OR t.expires_at > now()) AND weft_auth.is_current_admin(p_workspace_id)
   ORDER BY t.created_at DESC, t.id
$$;

-- Revokes one API token of the workspace, whoever owns it (admins only); nothing when it is not
-- a live API token of this workspace.
CREATE FUNCTION weft_auth.revoke_workspace_api_token(p_workspace_id uuid, p_token_id uuid)
  RETURNS TABLE (id uuid, user_id uuid, name text)
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE auth_tokens t SET revoked_at = now()
   WHERE t.id = p_token_id AND t.workspace_id = p_workspace_id AND t.kind = 'api' AND t.revoked_at IS NULL
     AND weft_auth.is_current_admin(p_workspace_id)
  RETURNING t.id, t.user_id, t.name
$$;

REVOKE ALL ON FUNCTION weft_auth.invited_members(uuid), weft_auth.is_current_admin(uuid),
  weft_auth.workspace_api_tokens(uuid), weft_auth.revoke_workspace_api_token(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION weft_auth.invited_members(uuid), weft_auth.is_current_admin(uuid),
  weft_auth.workspace_api_tokens(uuid), weft_auth.revoke_workspace_api_token(uuid, uuid) TO weft_app;
