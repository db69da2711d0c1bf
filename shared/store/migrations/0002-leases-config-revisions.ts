/**
 * Leader election and config revisions. A lease row per lock name holds its holder, an expiry
 * set from the database's clock, and a fencing token that grows whenever the holder changes.
 * A revision records the fencing token it was published under, so history shows who wrote it.
 */
export default /* sql */ `
CREATE TABLE routeiq_leases (
  lock_name      text PRIMARY KEY,
  holder_id      text NOT NULL,
  expires_at     timestamptz NOT NULL,
  fencing_token  bigint NOT NULL,
  acquired_at    timestamptz NOT NULL,
  renewed_at     timestamptz NOT NULL
);

CREATE TABLE routeiq_config_revisions (
  revision       bigserial PRIMARY KEY,
  lock_name      text NOT NULL,
  etag           text,
  checksum       text NOT NULL,
  body           text NOT NULL,
  publisher      text NOT NULL,
  fencing_token  bigint NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routeiq_config_revisions_lock ON routeiq_config_revisions (lock_name, revision DESC);
`;
