-- Up Migration
-- Keyset paging of the lists that grow with history (docs/api.md "Paging"): a page reads the rows
-- after its cursor's (time, id) off an index in the list's order, `<time> DESC, id`. The
-- executions' indexes (migrations 24, 27, 28) and events_sent_at_idx (migration 20) already end in
-- the id; these did not, so a page sorted the ties of its time and the bound `(time, id)` after a
-- cursor was no index range. Each replaces a prefix of itself.
-- (Built in the migration's transaction, as migration 24's: on a large history the upgrade holds
-- writes to the audit log and schedule runs for the few seconds each takes.)
CREATE INDEX audit_log_at_id_idx ON audit_log (workspace_id, at DESC, id);
CREATE INDEX audit_log_actor_at_id_idx ON audit_log (workspace_id, actor_id, at DESC, id);
CREATE INDEX audit_log_action_at_id_idx ON audit_log (workspace_id, action, at DESC, id);
DROP INDEX audit_log_at_idx, audit_log_actor_at_idx, audit_log_action_at_idx;

-- `schedule.executions`, ordered by the time the schedule fired and then the run's id.
CREATE INDEX schedule_runs_schedule_fired_idx ON schedule_runs (workspace_id, schedule_id, fired_at DESC, execution_id);
DROP INDEX schedule_runs_schedule_idx;
