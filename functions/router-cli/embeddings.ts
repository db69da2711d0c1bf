/** Inputs per embeddings request: OpenAI accepts 2,048; smaller batches keep each answer small. */
const BATCH = 64;

/**
 * Embeds `texts` through an OpenAI-compatible `/embeddings` endpoint (the gateway itself, say
 * `http://localhost:4000/v1` with an embedding model group), for routers trained on embeddings.
 * The key comes from ROUTER_EMBEDDINGS_API_KEY, never from a flag (it would show in `ps`).
 */
export async function fetchEmbeddings(
  baseUrl: string,
  model: string | undefined,
  texts: readonly string[],
  options: { fetch?: typeof fetch; apiKey?: string } = {},
): Promise<Float32Array[]> {
  if (model === undefined) throw new Error("--embeddings-url needs --embedding-model");
  const doFetch = options.fetch ?? fetch;
  const apiKey = options.apiKey ?? process.env.ROUTER_EMBEDDINGS_API_KEY;
  const out: Float32Array[] = [];
  for (let start = 0; start < texts.length; start += BATCH) {
    const input = texts.slice(start, start + BATCH).map((t) => t.slice(0, 8_000) || " ");
    const response = await doFetch(`${baseUrl.replace(/\/+$/, "")}/embeddings`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      },
      body: JSON.stringify({ model, input, encoding_format: "float" }),
    });
    if (!response.ok)
      throw new Error(
        `embeddings: ${baseUrl} answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
      );
    const body = (await response.json()) as { data?: { index: number; embedding: number[] }[] };
    const data = [...(body.data ?? [])].sort((a, b) => a.index - b.index);
    if (data.length !== input.length)
      throw new Error(`embeddings: expected ${input.length} vectors, got ${data.length}`);
    for (const d of data) out.push(Float32Array.from(d.embedding));
  }
  return out;
}
