-- Up Migration
-- Accounts and tokens behind narrow functions.
--
-- users, auth_tokens and login_attempts are global (no RLS): a stray write from any tenant path
-- (a query built in a plugin host call, PostGraphile at /admin/graphql, a bug) could touch every
-- account. So weft_app loses its direct write privileges on them and writes only through the
-- SECURITY DEFINER functions below, each doing one thing. They live in their own schema,
-- weft_auth, which PostGraphile does not expose (it reflects `public` only).

CREATE SCHEMA weft_auth;
REVOKE ALL ON SCHEMA weft_auth FROM PUBLIC;
GRANT USAGE ON SCHEMA weft_auth TO weft_app;

-- An invited address that has not signed up yet is a user without a password: it can be a member
-- (so addMember answers the same whether or not the address has an account) but cannot log in.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;

-- Tokens have a bounded life: no new token may outlive a year (older rows are left as they are).
ALTER TABLE auth_tokens
  ADD CONSTRAINT auth_tokens_bounded_expiry
  CHECK (expires_at IS NOT NULL AND expires_at <= created_at + interval '365 days') NOT VALID;
CREATE INDEX auth_tokens_user_active_idx ON auth_tokens (user_id, created_at) WHERE revoked_at IS NULL;

-- Failed log-ins are counted per (account, client address), one row each, so that counting is one
-- atomic upsert. account_key '*' is the address-wide budget against spraying many accounts.
DROP TABLE login_attempts;
CREATE TABLE login_attempts (
  account_key     text NOT NULL,
  address         text NOT NULL,
  failures        integer NOT NULL DEFAULT 0,
  last_failure_at timestamptz NOT NULL DEFAULT now(),
  blocked_until   timestamptz,
  PRIMARY KEY (account_key, address)
);
CREATE INDEX login_attempts_address_idx ON login_attempts (address, last_failure_at);

REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON users, auth_tokens FROM weft_app;
REVOKE ALL ON login_attempts FROM weft_app;
-- The password hash is read only through weft_auth.password_hash (log-in).
REVOKE SELECT ON users FROM weft_app;
GRANT SELECT (id, email, name, created_at) ON users TO weft_app;

-- Creates an account, or completes an invited one (no password yet). Null when the email has an
-- account already.
CREATE FUNCTION weft_auth.create_user(p_email citext, p_name text, p_password_hash text)
  RETURNS TABLE (id uuid, email text, name text)
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO users AS u (email, name, password_hash) VALUES (p_email, p_name, p_password_hash)
  ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, name = coalesce(u.name, EXCLUDED.name)
    WHERE u.password_hash IS NULL
  RETURNING u.id, u.email::text, u.name
$$;

-- The id of the account with this email, creating an invited (password-less) one when absent.
CREATE FUNCTION weft_auth.invite_user(p_email citext)
  RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_id uuid;
BEGIN
  INSERT INTO users (email) VALUES (p_email) ON CONFLICT (email) DO NOTHING RETURNING id INTO v_id;
  IF v_id IS NULL THEN
    SELECT u.id INTO v_id FROM users u WHERE u.email = p_email;
  END IF;
  RETURN v_id;
END
$$;

CREATE FUNCTION weft_auth.password_hash(p_email citext)
  RETURNS TABLE (id uuid, email text, name text, password_hash text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT u.id, u.email::text, u.name, u.password_hash FROM users u WHERE u.email = p_email
$$;

-- Issues a token (the API made it and keeps only its hash); nothing when an API token's user is
-- not a member of its workspace.
CREATE FUNCTION weft_auth.issue_token(
  p_user_id uuid, p_kind text, p_workspace_id uuid, p_name text, p_token_hash bytea, p_ttl_ms bigint)
  RETURNS TABLE (id uuid, created_at timestamptz, expires_at timestamptz)
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO auth_tokens AS t (user_id, kind, workspace_id, name, token_hash, expires_at)
  SELECT p_user_id, p_kind, p_workspace_id, p_name, p_token_hash, now() + p_ttl_ms * interval '1 millisecond'
   -- An API token only for a workspace its user belongs to (the API checked the role already).
   WHERE p_kind = 'session'
      OR EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = p_workspace_id AND m.user_id = p_user_id)
  RETURNING t.id, t.created_at, t.expires_at
$$;

-- Resolves a bearer token by hash and moves last_used_at at most once a minute.
CREATE FUNCTION weft_auth.resolve_token(p_token_hash bytea)
  RETURNS TABLE (id uuid, user_id uuid, kind text, workspace_id uuid)
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH hit AS (
    SELECT t.id, t.user_id, t.kind, t.workspace_id, t.last_used_at FROM auth_tokens t
     WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
  ), touched AS (
    UPDATE auth_tokens t SET last_used_at = now() FROM hit
     WHERE t.id = hit.id AND (hit.last_used_at IS NULL OR hit.last_used_at < now() - interval '1 minute')
  )
  SELECT hit.id, hit.user_id, hit.kind, hit.workspace_id FROM hit
$$;

-- Revokes one token of a user; the ids of what was revoked (none when not theirs or revoked already).
CREATE FUNCTION weft_auth.revoke_token(p_user_id uuid, p_token_id uuid)
  RETURNS TABLE (id uuid, workspace_id uuid)
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE auth_tokens t SET revoked_at = now()
   WHERE t.id = p_token_id AND t.user_id = p_user_id AND t.revoked_at IS NULL
  RETURNING t.id, t.workspace_id
$$;

-- Revokes every live token of a user, except p_keep (the caller's own session, when asked).
CREATE FUNCTION weft_auth.revoke_all_tokens(p_user_id uuid, p_keep uuid)
  RETURNS TABLE (id uuid, workspace_id uuid)
  LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE auth_tokens t SET revoked_at = now()
   WHERE t.user_id = p_user_id AND t.revoked_at IS NULL AND t.id IS DISTINCT FROM p_keep
  RETURNING t.id, t.workspace_id
$$;

-- A removed member's API tokens for that workspace; only once they are no longer a member.
CREATE FUNCTION weft_auth.revoke_workspace_tokens(p_user_id uuid, p_workspace_id uuid)
  RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_count integer;
BEGIN
  UPDATE auth_tokens t SET revoked_at = now()
   WHERE t.user_id = p_user_id AND t.workspace_id = p_workspace_id AND t.kind = 'api' AND t.revoked_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = p_workspace_id AND m.user_id = p_user_id);
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END
$$;

-- Before a password is checked: claims one attempt for (account, address) and for the address as a
-- whole, atomically. Every call for one address first locks that address's '*' row, so calls for
-- one address run one after another and each sees the ones before it: concurrent guesses cannot
-- slip past the limit together. Counting before the check is what makes that so. Returns 0 when
-- the attempt may go ahead (counted as a failure until weft_auth.login_succeeded says otherwise),
-- else the seconds to wait (nothing counted). After p_free failures each further one doubles the
-- wait from p_base_ms up to p_max_ms; counts start over once the last failure is p_reset_ms old.
CREATE FUNCTION weft_auth.login_attempt(
  p_account text, p_address text, p_free integer, p_address_free integer,
  p_base_ms bigint, p_max_ms bigint, p_reset_ms bigint)
  RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_keys text[] := ARRAY['*', p_account];
  v_free integer[] := ARRAY[p_address_free, p_free];
  v_reset interval := p_reset_ms * interval '1 millisecond';
  v_row login_attempts;
  v_wait numeric := 0;
  v_failures integer;
  i integer;
BEGIN
  FOR i IN 1..2 LOOP
    -- Creates the row or locks the one there (the no-op update is what takes the lock).
    INSERT INTO login_attempts AS a (account_key, address) VALUES (v_keys[i], p_address)
    ON CONFLICT (account_key, address) DO UPDATE SET failures = a.failures
    RETURNING * INTO v_row;
    IF v_row.blocked_until > clock_timestamp() THEN
      v_wait := greatest(v_wait, extract(epoch FROM v_row.blocked_until - clock_timestamp()));
    END IF;
    IF i = 1 THEN
      -- Forgotten failures of this address's other accounts go, so rows do not pile up.
      DELETE FROM login_attempts a
       WHERE a.address = p_address AND a.account_key NOT IN ('*', p_account)
         AND a.last_failure_at < now() - v_reset AND NOT (a.blocked_until > now());
    END IF;
  END LOOP;
  IF v_wait > 0 THEN
    RETURN ceil(v_wait)::integer;
  END IF;
  FOR i IN 1..2 LOOP
    UPDATE login_attempts a
       SET failures = CASE WHEN a.last_failure_at < now() - v_reset THEN 1 ELSE a.failures + 1 END,
           last_failure_at = now()
     WHERE a.account_key = v_keys[i] AND a.address = p_address
    RETURNING a.failures INTO v_failures;
    UPDATE login_attempts a
       SET blocked_until = CASE WHEN v_failures >= v_free[i]
         THEN clock_timestamp() + least(p_max_ms, p_base_ms * power(2, least(v_failures - v_free[i], 40)))
                                  * interval '1 millisecond' END
     WHERE a.account_key = v_keys[i] AND a.address = p_address;
  END LOOP;
  RETURN 0;
END
$$;

-- The password was right: this (account, address) starts over, and the address-wide count gives
-- back the attempt claimed for it.
CREATE FUNCTION weft_auth.login_succeeded(p_account text, p_address text)
  RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  DELETE FROM login_attempts WHERE account_key = p_account AND address = p_address;
  UPDATE login_attempts SET failures = greatest(failures - 1, 0)
   WHERE account_key = '*' AND address = p_address;
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA weft_auth FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA weft_auth TO weft_app;
