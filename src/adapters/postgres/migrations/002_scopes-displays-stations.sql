-- What main's contract v2 §E added to the state store: a user's station scope (JSON array, null =
-- every station), display tokens for wall screens, and stations made through the API.

-- Up Migration
ALTER TABLE users ADD COLUMN stations jsonb;
CREATE TABLE display_tokens (
  id text PRIMARY KEY, token_hash text NOT NULL UNIQUE, name text NOT NULL, stations jsonb NOT NULL,
  created_at bigint NOT NULL, created_by text NOT NULL, seq bigserial NOT NULL
);
CREATE TABLE station_configs (
  id text PRIMARY KEY, config jsonb NOT NULL, file_hash text, updated_at bigint NOT NULL, updated_by text NOT NULL
);

-- Down Migration
DROP TABLE station_configs, display_tokens;
ALTER TABLE users DROP COLUMN stations;
