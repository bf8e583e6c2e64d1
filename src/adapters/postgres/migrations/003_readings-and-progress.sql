-- Cluster mode: readings when no InfluxDB is configured, and how far each partition of the
-- readings stream has been applied (written in the same transaction as the state it changed, so
-- that a new owner skips exactly what was applied).

-- Up Migration
CREATE TABLE readings (
  id bigserial PRIMARY KEY, t bigint NOT NULL, measurement text NOT NULL, station text NOT NULL, subject text NOT NULL,
  v double precision, tags jsonb NOT NULL, fields jsonb NOT NULL
);
CREATE INDEX readings_station_subject_t ON readings (station, subject, t);
CREATE TABLE partition_progress (partition integer PRIMARY KEY, seq bigint NOT NULL);

-- Down Migration
DROP TABLE partition_progress, readings;
