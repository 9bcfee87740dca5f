-- Up Migration
-- Migration 1 let weft_app write every table created later in `public`, by default. That is how a
-- global table could become writable by every request without anyone deciding it (plugins and
-- plugin_versions were). From here on a new table gets nothing by default: its migration grants
-- what weft_app (and weft_admin_read) may do with it, as migrations 10 to 15 do for theirs.
-- Reading stays the default (RLS still bounds tenant tables); sequences and functions are
-- unchanged.
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE INSERT, UPDATE, DELETE ON TABLES FROM weft_app;
