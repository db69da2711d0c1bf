/**
 * Daily rollups of the spend log per key, team, user and model (the name clients asked for):
 * requests, tokens and spend per UTC day, kept by the spend writer in the same transaction as the
 * log rows, so reports read a row per subject and day instead of scanning logs. They outlive the
 * log's retention: dropping old partitions keeps the history of spend. Seeded from the rows
 * logged so far. Also indexes keys by spend, for the report of the top spenders.
 */
export default /* sql */ `
CREATE TABLE routeiq_spend_daily (
  kind               text NOT NULL CHECK (kind IN ('key', 'team', 'user', 'model')),
  subject            text NOT NULL,
  day                date NOT NULL,
  requests           bigint NOT NULL DEFAULT 0,
  prompt_tokens      bigint NOT NULL DEFAULT 0,
  completion_tokens  bigint NOT NULL DEFAULT 0,
  total_tokens       bigint NOT NULL DEFAULT 0,
  spend              double precision NOT NULL DEFAULT 0,
  PRIMARY KEY (kind, subject, day)
);
CREATE INDEX routeiq_spend_daily_day ON routeiq_spend_daily (kind, day);

-- /spend/keys: the top keys by spend without sorting them all.
CREATE INDEX routeiq_keys_spend ON routeiq_keys (spend DESC, key_hash);

INSERT INTO routeiq_spend_daily (kind, subject, day, requests, prompt_tokens, completion_tokens, total_tokens, spend)
SELECT d.kind, d.subject, (l.started_at AT TIME ZONE 'UTC')::date, count(*),
       sum(l.prompt_tokens), sum(l.completion_tokens), sum(l.total_tokens), sum(l.spend)
  FROM routeiq_spend_logs AS l
 CROSS JOIN LATERAL (VALUES ('key', l.key_hash), ('team', l.team_id), ('user', l.user_id), ('model', l.model_group))
       AS d(kind, subject)
 WHERE d.subject IS NOT NULL
 GROUP BY 1, 2, 3;
`;
