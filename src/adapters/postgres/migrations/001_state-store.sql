-- The state store's tables (the embedded SQLite store's, adapted): run by node-pg-migrate
-- (src/adapters/postgres/migrate.ts), recorded in its `pgmigrations` table. Times are ms since the
-- epoch (bigint); records the service reads back whole are jsonb; `seq` keeps insertion order where
-- SQLite's rowid did.

-- Up Migration
CREATE TABLE events (
  id bigserial PRIMARY KEY, t bigint NOT NULL, station text NOT NULL, kind text NOT NULL, subject text NOT NULL,
  device text NOT NULL, user_name text, value jsonb, detail text, incident text
);
CREATE INDEX events_station_t ON events (station, t);
CREATE TABLE rejects (id bigserial PRIMARY KEY, t bigint NOT NULL, device text NOT NULL, topic text NOT NULL, reason text NOT NULL);
CREATE TABLE live (station text PRIMARY KEY, snapshot jsonb NOT NULL, updated bigint NOT NULL);

CREATE TABLE users (username text PRIMARY KEY, password_hash text NOT NULL, role text NOT NULL, created_at bigint NOT NULL);
CREATE TABLE sessions (
  token_hash text PRIMARY KEY, seq bigserial NOT NULL, username text NOT NULL, expires_at bigint NOT NULL, created_at bigint NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_user_created ON sessions (username, created_at);

CREATE TABLE alerts (
  id text PRIMARY KEY, seq bigserial NOT NULL, station text NOT NULL, rule text NOT NULL, subject text NOT NULL,
  state text NOT NULL, opened_at bigint NOT NULL, body jsonb NOT NULL
);
CREATE INDEX alerts_state ON alerts (state, opened_at);
CREATE INDEX alerts_station ON alerts (station, opened_at);
CREATE TABLE incidents (id text PRIMARY KEY, station text NOT NULL, opened_at bigint NOT NULL, closed_at bigint, body jsonb NOT NULL);

-- One row per station whose ledger was ever touched: locked FOR UPDATE by every ledger operation,
-- so that two instances serialise on it (an issue reads the stock, decides, writes).
CREATE TABLE ledger_stations (station text PRIMARY KEY);
CREATE TABLE ledger_batches (
  id text PRIMARY KEY, station text NOT NULL, item text NOT NULL, quantity integer NOT NULL CHECK (quantity >= 0),
  produced_on text, expires_on text, spec text, supplier text, received_at bigint NOT NULL
);
CREATE INDEX ledger_batches_station ON ledger_batches (station, item);
CREATE TABLE ledger_movements (
  seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, station text NOT NULL, t bigint NOT NULL, kind text NOT NULL,
  item text NOT NULL, batch text, quantity integer NOT NULL CHECK (quantity >= 0), user_name text NOT NULL, note text,
  reason text, expected integer, counted integer, delta integer
);
CREATE INDEX ledger_movements_station_t ON ledger_movements (station, t);

CREATE TABLE notify_deliveries (
  id bigserial PRIMARY KEY, alert_id text NOT NULL, at bigint NOT NULL, step integer NOT NULL, firing integer NOT NULL,
  channel text NOT NULL, recipient text, status text NOT NULL, error text
);
CREATE INDEX notify_deliveries_alert ON notify_deliveries (alert_id, at);
CREATE TABLE notify_plans (alert_id text PRIMARY KEY, body jsonb);

CREATE TABLE inspection_since (station text NOT NULL, inspection text NOT NULL, since bigint NOT NULL, PRIMARY KEY (station, inspection));
CREATE TABLE inspection_runs (
  seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, station text NOT NULL, inspection text NOT NULL, t bigint NOT NULL,
  user_name text NOT NULL, due_at bigint, late boolean NOT NULL, results jsonb NOT NULL
);
CREATE INDEX inspection_runs_station ON inspection_runs (station, inspection, t);
CREATE TABLE trainings (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, station text NOT NULL, date text NOT NULL, t bigint NOT NULL, body jsonb NOT NULL);
CREATE INDEX trainings_station ON trainings (station, date);
CREATE TABLE drills (id text PRIMARY KEY, station text NOT NULL, alert_id text NOT NULL, started_at bigint NOT NULL, body jsonb NOT NULL);
CREATE INDEX drills_started ON drills (station, started_at);
CREATE INDEX drills_alert ON drills (alert_id);

-- The newest batch each writer (one per store instance) committed: a batch retried after a lost
-- connection is recognised if its first attempt did commit, so it is never applied twice.
CREATE TABLE store_writers (writer text PRIMARY KEY, seq bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());

-- Down Migration
DROP TABLE store_writers, drills, trainings, inspection_runs, inspection_since, notify_plans, notify_deliveries,
  ledger_movements, ledger_batches, ledger_stations, incidents, alerts, sessions, users, live, rejects, events;
