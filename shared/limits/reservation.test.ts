import { describe, expect, it } from "vitest";
import { IMAGE_TOKENS_BOUND } from "../openai/token-estimate";
import { deployment } from "../router/test-fixtures";
import { reservationFor, UNKNOWN_INPUT_WINDOW } from "./reservation";

/** What a request reserves: the most it could cost on any deployment that may serve it. */

const priced = (model: string) => deployment(model, { inputCostPerToken: 1e-6, outputCostPerToken: 0 });
const size = { promptTokens: 100, images: 2, completions: 1, maxOutputTokens: 1 };

describe("reservationFor", () => {
  it("reserves an image at the most its model bills for one", () => {
    expect(reservationFor([priced("gpt-4o")], size).tokens).toBe(100 + 2 * IMAGE_TOKENS_BOUND + 1);
    // gpt-4o-mini bills an image at up to 2,833 + 8 × 5,667 tokens, dated versions alike.
    expect(reservationFor([priced("gpt-4o-mini-2024-07-18")], size).tokens).toBe(100 + 2 * 48_169 + 1);
    expect(reservationFor([priced("gpt-4.1-nano")], size).tokens).toBe(100 + 2 * 3_779 + 1);
  });

  it("takes the dearest deployment that may serve", () => {
    const both = reservationFor([priced("gpt-4o"), priced("gpt-4o-mini")], size);
    expect(both.tokens).toBe(100 + 2 * 48_169 + 1);
    expect(both.cost).toBeCloseTo((100 + 2 * 48_169) * 1e-6, 12);
  });

  it("reserves a prompt with an attachment the upstream fetches at no less than the model's context window", () => {
    const gemini = deployment("gemini-2.5-pro", {
      inputCostPerToken: 1e-6,
      outputCostPerToken: 0,
      maxInputTokens: 1_048_576,
    });
    const video = { promptTokens: 100, images: 0, fetched: 1, completions: 1, maxOutputTokens: 1 };
    expect(reservationFor([gemini], video).tokens).toBe(1_048_576 + 1);
    expect(reservationFor([gemini], { ...video, fetched: 0 }).tokens).toBe(100 + 1);
    // The catalogue's window when the deployment names none; the largest offered when neither knows.
    expect(reservationFor([priced("gpt-4.1")], video).tokens).toBe(1_000_000 + 1);
    expect(reservationFor([priced("unknown-model")], video).tokens).toBe(UNKNOWN_INPUT_WINDOW + 1);
  });
});
