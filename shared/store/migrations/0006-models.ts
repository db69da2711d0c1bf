/**
 * Models added through the API (`STORE_MODEL_IN_DB=true`). `litellm_params` is kept only sealed
 * (AES-GCM under LITELLM_SALT_KEY, bound to the model id): it holds api keys and cloud
 * credentials, and whoever can read the database must not be able to read or swap them.
 */
export default /* sql */ `
CREATE TABLE routeiq_models (
  model_id               text PRIMARY KEY,
  model_name             text NOT NULL,
  litellm_params_sealed  text NOT NULL,
  model_info             jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at             timestamptz NOT NULL DEFAULT now(),
  created_by             text NOT NULL,
  updated_at             timestamptz NOT NULL DEFAULT now(),
  updated_by             text NOT NULL
);
`;
