/**
 * Teams, users, virtual keys and the request/spend log. Budgets live on each of the three
 * (`max_budget` per `budget_duration` window, `spend` within the current window); keys are
 * stored as SHA-256 hashes only. Request ids are the spend log's key, so a retried batch
 * insert never writes a row twice.
 */
export default /* sql */ `
CREATE TABLE routeiq_teams (
  team_id               text PRIMARY KEY,
  team_alias            text,
  models                text[] NOT NULL DEFAULT '{}',
  max_budget            double precision,
  budget_duration       text,
  budget_reset_at       timestamptz,
  spend                 double precision NOT NULL DEFAULT 0,
  rpm_limit             integer,
  tpm_limit             integer,
  max_parallel_requests integer,
  blocked               boolean NOT NULL DEFAULT false,
  metadata              jsonb NOT NULL DEFAULT '{}',
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE routeiq_users (
  user_id               text PRIMARY KEY,
  user_email            text,
  user_role             text NOT NULL DEFAULT 'internal_user',
  teams                 text[] NOT NULL DEFAULT '{}',
  models                text[] NOT NULL DEFAULT '{}',
  max_budget            double precision,
  budget_duration       text,
  budget_reset_at       timestamptz,
  spend                 double precision NOT NULL DEFAULT 0,
  rpm_limit             integer,
  tpm_limit             integer,
  max_parallel_requests integer,
  metadata              jsonb NOT NULL DEFAULT '{}',
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE routeiq_keys (
  key_hash              text PRIMARY KEY,
  key_name              text NOT NULL,
  key_alias             text UNIQUE,
  team_id               text REFERENCES routeiq_teams (team_id) ON DELETE CASCADE,
  user_id               text REFERENCES routeiq_users (user_id) ON DELETE CASCADE,
  models                text[] NOT NULL DEFAULT '{}',
  max_budget            double precision,
  budget_duration       text,
  budget_reset_at       timestamptz,
  spend                 double precision NOT NULL DEFAULT 0,
  rpm_limit             integer,
  tpm_limit             integer,
  max_parallel_requests integer,
  expires_at            timestamptz,
  blocked               boolean NOT NULL DEFAULT false,
  metadata              jsonb NOT NULL DEFAULT '{}',
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routeiq_keys_team ON routeiq_keys (team_id);
CREATE INDEX routeiq_keys_user ON routeiq_keys (user_id);

CREATE TABLE routeiq_spend_logs (
  request_id            text PRIMARY KEY,
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
  metadata              jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX routeiq_spend_logs_started ON routeiq_spend_logs (started_at);
CREATE INDEX routeiq_spend_logs_key ON routeiq_spend_logs (key_hash, started_at);
CREATE INDEX routeiq_spend_logs_team ON routeiq_spend_logs (team_id, started_at);
`;
