-- Per-user station scope, display tokens and stations made through the API (contract v2 §E).
-- A database migrated with 001 moves forward: its users get no scope (NULL: every station).

-- Up Migration
-- A JSON array of station ids; NULL for every station.
ALTER TABLE users ADD COLUMN stations jsonb;

CREATE TABLE display_tokens (
  id text PRIMARY KEY, seq bigserial NOT NULL, token_hash text NOT NULL UNIQUE, name text NOT NULL,
  stations jsonb NOT NULL, created_at bigint NOT NULL, created_by text NOT NULL
);
CREATE INDEX display_tokens_created ON display_tokens (created_at, seq);

-- One row per station the API made or changed, in the station-file form.
CREATE TABLE station_configs (
  id text PRIMARY KEY, config jsonb NOT NULL, file_hash text, updated_at bigint NOT NULL, updated_by text NOT NULL
);

-- Down Migration
DROP TABLE station_configs, display_tokens;
ALTER TABLE users DROP COLUMN stations;
