-- Up Migration

-- ---------------------------------------------------------------- inbound webhook replay
-- A signed inbound request stays valid for WEBHOOK_TOLERANCE_SECONDS either side of its
-- Weft-Timestamp, and Weft-Delivery is optional and chosen by the sender, so whoever saw one
-- request (a log, a proxy) could send it again and start a run each time. Every accepted
-- (webhook, timestamp, signature) is kept here until it can no longer pass the timestamp check;
-- the key makes a second acceptance impossible, across API processes and under concurrency (the
-- second INSERT waits for the first transaction and then conflicts). Rows are pruned per webhook
-- as deliveries arrive (webhook-route.ts) and go with their webhook.
CREATE TABLE webhook_signatures_seen (
  workspace_id uuid NOT NULL,
  webhook_id   uuid NOT NULL,
  signed_at    bigint NOT NULL,   -- Weft-Timestamp, unix seconds
  signature    text NOT NULL,     -- Weft-Signature, already checked to be this request's HMAC
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, webhook_id, signed_at, signature),
  FOREIGN KEY (workspace_id, webhook_id) REFERENCES webhooks (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_signatures_seen_expiry ON webhook_signatures_seen (workspace_id, webhook_id, expires_at);

ALTER TABLE webhook_signatures_seen ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_signatures_seen FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_signatures_seen USING (workspace_id = weft_current_workspace())
  WITH CHECK (workspace_id = weft_current_workspace());
GRANT SELECT, INSERT, DELETE ON webhook_signatures_seen TO weft_app;
