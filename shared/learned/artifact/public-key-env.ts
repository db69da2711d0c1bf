import { importPublicKey } from "./signature";

export const PUBLIC_KEY_ENV = "LLMROUTER_MODEL_PUBLIC_KEY";

/**
 * The key routing models must be signed with, from LLMROUTER_MODEL_PUBLIC_KEY (PEM, or the raw
 * key in base64 or hex); undefined when unset, and then signatures are not required.
 */
export async function routerPublicKey(
  env: Readonly<Record<string, string | undefined>>,
): Promise<CryptoKey | undefined> {
  const value = env[PUBLIC_KEY_ENV];
  if (value === undefined || value.trim() === "") return undefined;
  try {
    return await importPublicKey(value);
  } catch (error) {
    throw new Error(`${PUBLIC_KEY_ENV}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
