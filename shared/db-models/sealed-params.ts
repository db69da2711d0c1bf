import { SealedBox } from "../keys/sealed-box";

/** What `litellm_params` are sealed for: a box made for anything else never opens here. */
const PURPOSE = "routeiq model litellm_params";

/**
 * `litellm_params` at rest: the whole object sealed under LITELLM_SALT_KEY and bound to the
 * model's id, since any of its fields may be a credential (api_key, aws_secret_access_key,
 * vertex_credentials, ...) and a box moved to another model must not open.
 */
export interface ParamsBox {
  seal(modelId: string, params: Readonly<Record<string, unknown>>): Promise<string>;
  /** Undefined when the box was sealed under another key (LITELLM_SALT_KEY rotated) or altered. */
  open(modelId: string, sealed: string): Promise<Record<string, unknown> | undefined>;
}

export function paramsBox(saltKey: string): ParamsBox {
  const box = new SealedBox(saltKey, PURPOSE);
  return {
    seal: (modelId, params) => box.seal(JSON.stringify(params), modelId),
    async open(modelId, sealed) {
      const text = await box.open(sealed, modelId);
      return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
    },
  };
}
