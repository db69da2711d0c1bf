import { isOpenAICompatible } from "../config/providers";
import { anthropicProvider } from "./anthropic/provider";
import { azureProvider } from "./azure/provider";
import { bedrockProvider } from "./bedrock/provider";
import { geminiProvider } from "./gemini/provider";
import { mockProvider } from "./mock/provider";
import { openAICompatibleProvider, openAIProvider } from "./openai/provider";
import type { Provider } from "./types";
import { vertexProvider } from "./vertex/provider";

const native: Readonly<Record<string, Provider>> = Object.freeze({
  azure: azureProvider,
  anthropic: anthropicProvider,
  bedrock: bedrockProvider,
  gemini: geminiProvider,
  vertex_ai: vertexProvider,
  mock: mockProvider,
});

/** The provider for a deployment's `<provider>/` prefix (validated at config load, so always found). */
export function providerFor(name: string): Provider {
  if (name === "openai") return openAIProvider;
  if (isOpenAICompatible(name)) return openAICompatibleProvider;
  const provider = native[name];
  if (provider === undefined) throw new Error(`no provider registered for "${name}"`);
  return provider;
}
