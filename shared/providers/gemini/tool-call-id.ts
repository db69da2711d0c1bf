/**
 * Gemini's function calls carry no id, and thinking models attach a `thoughtSignature` that must
 * come back with the call in the next turn (Gemini 3 refuses the turn without it). OpenAI clients
 * return only the tool call's id, so the signature travels inside it, as LiteLLM does.
 */
const SIGNATURE_MARK = "__thought__";

export function toolCallId(signature: string | null | undefined): string {
  const id = `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
  return signature ? `${id}${SIGNATURE_MARK}${signature}` : id;
}

export function signatureOf(id: string): string | undefined {
  const at = id.indexOf(SIGNATURE_MARK);
  return at === -1 ? undefined : id.slice(at + SIGNATURE_MARK.length);
}
