-- Up Migration

-- ---------------------------------------------------------------- secrets tied to hosts
-- The hosts a secret may be sent to by a plugin's fetch (`http:` grant targets: `api.example.com`,
-- `*.example.com`, `host:port`, `*`). NULL: the hosts the installation's `http:` grants name, except
-- the catch-all `http:*`; an empty array: no host at all (the secret is for signing, not sending).
-- Checked by the plugin host on every request and redirect hop (plugin-sdk sandbox/handlers.ts).
ALTER TABLE secrets ADD COLUMN allowed_hosts text[];
