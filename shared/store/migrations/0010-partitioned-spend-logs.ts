/**
 * The spend log partitioned by day (UTC), so retention drops whole partitions instead of deleting
 * rows, and a day's queries touch that day's indexes only. The existing table's rows are copied
 * into per-day partitions (one for each day that has rows), then it is dropped.
 *
 * A partitioned table's unique keys must hold the partition key, so the primary key becomes
 * (request_id, started_at); a retried batch repeats both, so it is still found already logged.
 * Rows whose day has no partition yet land in the default partition rather than failing; creating
 * that day's partition later moves them in.
 *
 * Creating and dropping partitions needs the table's owner; the maintenance job runs as a login
 * role that is not, so it calls these two functions, which run as their owner (SECURITY DEFINER),
 * with a fixed search_path and no EXECUTE for PUBLIC (functions/migrate/database-roles.ts grants it).
 */
export default /* sql */ `
ALTER TABLE routeiq_spend_logs RENAME TO routeiq_spend_logs_unpartitioned;
ALTER TABLE routeiq_spend_logs_unpartitioned
  RENAME CONSTRAINT routeiq_spend_logs_pkey TO routeiq_spend_logs_unpartitioned_pkey;
DROP INDEX routeiq_spend_logs_started, routeiq_spend_logs_key, routeiq_spend_logs_team;

CREATE TABLE routeiq_spend_logs (
  request_id            text NOT NULL,
  key_hash              text,
  team_id               text,
  user_id               text,
  model_group           text NOT NULL,
  deployment            text,
  provider              text,
  status                integer NOT NULL,
  prompt_tokens         integer NOT NULL DEFAULT 0,
  completion_tokens     integer NOT NULL DEFAULT 0,
  total_tokens          integer NOT NULL DEFAULT 0,
  spend                 double precision NOT NULL DEFAULT 0,
  cache_hit             boolean NOT NULL DEFAULT false,
  started_at            timestamptz NOT NULL,
  ended_at              timestamptz NOT NULL,
  metadata              jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (request_id, started_at)
) PARTITION BY RANGE (started_at);
CREATE INDEX routeiq_spend_logs_started ON routeiq_spend_logs (started_at);
CREATE INDEX routeiq_spend_logs_key ON routeiq_spend_logs (key_hash, started_at);
CREATE INDEX routeiq_spend_logs_team ON routeiq_spend_logs (team_id, started_at);
CREATE INDEX routeiq_spend_logs_user ON routeiq_spend_logs (user_id, started_at);
CREATE TABLE routeiq_spend_logs_default PARTITION OF routeiq_spend_logs DEFAULT;

CREATE FUNCTION routeiq_spend_log_partition_create(day date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
  part text := 'routeiq_spend_logs_p' || to_char(day, 'YYYYMMDD');
  lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
  hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
  strays boolean;
BEGIN
  IF to_regclass(part) IS NOT NULL THEN
    RETURN false;
  END IF;
  -- PostgreSQL refuses a new partition while the default one holds rows of its range: move them.
  strays := EXISTS (SELECT 1 FROM routeiq_spend_logs_default WHERE started_at >= lo AND started_at < hi);
  IF strays THEN
    CREATE TEMP TABLE routeiq_spend_logs_moving ON COMMIT DROP AS
      SELECT * FROM routeiq_spend_logs_default WHERE started_at >= lo AND started_at < hi;
    DELETE FROM routeiq_spend_logs_default WHERE started_at >= lo AND started_at < hi;
  END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF routeiq_spend_logs FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
  IF strays THEN
    INSERT INTO routeiq_spend_logs SELECT * FROM routeiq_spend_logs_moving;
    DROP TABLE routeiq_spend_logs_moving;
  END IF;
  RETURN true;
END
$fn$;

-- Drops each day's partition whose every row started before the cutoff; returns their names.
CREATE FUNCTION routeiq_spend_log_partitions_drop_before(cutoff timestamptz) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
  part text;
  dropped text[] := '{}';
BEGIN
  FOR part IN
    SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'routeiq_spend_logs'::regclass
       AND c.relname ~ '^routeiq_spend_logs_p[0-9]{8}$'
       AND (to_date(right(c.relname, 8), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC' <= cutoff
     ORDER BY c.relname
  LOOP
    EXECUTE format('DROP TABLE %I', part);
    dropped := dropped || part;
  END LOOP;
  RETURN dropped;
END
$fn$;

DO $do$
BEGIN
  EXECUTE format('ALTER FUNCTION routeiq_spend_log_partition_create(date) SET search_path = %I, pg_temp', current_schema());
  EXECUTE format('ALTER FUNCTION routeiq_spend_log_partitions_drop_before(timestamptz) SET search_path = %I, pg_temp', current_schema());
END
$do$;
REVOKE EXECUTE ON FUNCTION routeiq_spend_log_partition_create(date) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION routeiq_spend_log_partitions_drop_before(timestamptz) FROM PUBLIC;

SELECT routeiq_spend_log_partition_create(day)
  FROM (SELECT DISTINCT (started_at AT TIME ZONE 'UTC')::date AS day FROM routeiq_spend_logs_unpartitioned
        UNION SELECT (now() AT TIME ZONE 'UTC')::date + n FROM generate_series(0, 2) AS n) AS days
 ORDER BY day;
INSERT INTO routeiq_spend_logs SELECT * FROM routeiq_spend_logs_unpartitioned;
DROP TABLE routeiq_spend_logs_unpartitioned;
`;
