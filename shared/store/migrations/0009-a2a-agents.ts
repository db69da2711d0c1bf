/**
 * The A2A gateway's registry of upstream agents: where each agent's JSON-RPC endpoint is (its card
 * is read from the same origin), and its credentials, sealed (AES-GCM), never in the clear.
 */
export default /* sql */ `
CREATE TABLE routeiq_a2a_agents (
  name            text PRIMARY KEY,
  url             text NOT NULL,
  description     text,
  auth_type       text NOT NULL DEFAULT 'none',
  credentials     text,
  allow_all_keys  boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
`;
