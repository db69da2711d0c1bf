/**
 * Routing models and other binary artifacts synced from S3, published under the same lease as
 * config revisions and kept with their checksum, newest last.
 */
export default /* sql */ `
CREATE TABLE routeiq_artifacts (
  revision       bigserial PRIMARY KEY,
  name           text NOT NULL,
  etag           text,
  checksum       text NOT NULL,
  body           bytea NOT NULL,
  publisher      text NOT NULL,
  fencing_token  bigint NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routeiq_artifacts_name ON routeiq_artifacts (name, revision DESC);
`;
