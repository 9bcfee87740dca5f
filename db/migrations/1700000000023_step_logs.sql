-- Up Migration
-- The lines a step attempt wrote with `ctx.log`, so the console can show them beside the attempt
-- (until now they went only to the worker's stdout). Capped per attempt by the engine
-- (step-logs.ts); a row per line keeps a live tail cheap (`line > $n`). Rows go with their run.
CREATE TABLE step_logs (
  workspace_id uuid NOT NULL,
  execution_id uuid NOT NULL,
  step_id      text NOT NULL,
  kind         text NOT NULL DEFAULT 'run',
  attempt      integer NOT NULL,
  line         integer NOT NULL,
  level        text NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  message      text NOT NULL,
  data         jsonb,
  at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (workspace_id, execution_id, step_id, kind, attempt, line),
  FOREIGN KEY (workspace_id, execution_id) REFERENCES executions (workspace_id, id) ON DELETE CASCADE
);

ALTER TABLE step_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE step_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON step_logs USING (workspace_id = weft_current_workspace())
  WITH CHECK (workspace_id = weft_current_workspace());

-- Written only by the engine as the attempt runs; never edited afterwards (deleted with the run).
GRANT SELECT, INSERT, DELETE ON step_logs TO weft_app;
