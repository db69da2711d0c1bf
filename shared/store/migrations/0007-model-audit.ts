/**
 * One row per change to a database model: who, what (the fields changed, never their values),
 * when. Its ever-growing `change_id` is also the models' revision, which replicas follow.
 */
export default /* sql */ `
CREATE TABLE routeiq_model_audit (
  change_id   bigserial PRIMARY KEY,
  model_id    text NOT NULL,
  action      text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
  actor       text NOT NULL,
  request_id  text,
  fields      text[] NOT NULL DEFAULT '{}',
  changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routeiq_model_audit_model ON routeiq_model_audit (model_id, change_id DESC);
`;
