import { describe, expect, it } from "vitest";
import { decodeArtifact } from "../artifact/decode";
import { routerTypes } from "../artifact/format";
import { type LearnedRouter, routeText } from "../router";
import { KINDS, prompt, TINY, tinySet } from "../test-fixtures";
import { seededRandom } from "./random";
import { trainArtifact } from "./train";

const best = { trivia: "cheap", code: "coder", maths: "big" } as const;

async function trained(routers = [...routerTypes]) {
  const json = trainArtifact(tinySet(), { ...TINY, routers });
  return { json, artifact: await decodeArtifact(new TextEncoder().encode(JSON.stringify(json))) };
}

describe("trainArtifact", () => {
  it("trains every router type, and each sends unseen prompts of each kind to the candidate that serves it best", async () => {
    const { artifact } = await trained();
    expect(artifact.routers.map((r) => r.type)).toEqual([...routerTypes]);
    const random = seededRandom(99);
    for (const router of artifact.routers) {
      for (const kind of KINDS) {
        const text = prompt(kind, random);
        const knob = "minQuality" in router.knob ? { minQuality: 1 } : { costWeight: 0 };
        expect({ router: router.type, kind, chose: routeText(artifact, router, text, knob) }).toEqual({
          router: router.type,
          kind,
          chose: best[kind],
        });
      }
    }
  });

  it("moves along the cost curve with the knob: the cheapest at one end, the best at the other", async () => {
    const { artifact } = await trained(["cost-aware", "knn"]);
    const [costAware, knn] = artifact.routers as [LearnedRouter, LearnedRouter];
    const text = prompt("maths", seededRandom(5));
    expect(routeText(artifact, costAware, text, { minQuality: 1 })).toBe("big");
    expect(routeText(artifact, costAware, text, { minQuality: 0 })).toBe("cheap");
    expect(routeText(artifact, knn, text, { costWeight: 0 })).toBe("big");
    expect(routeText(artifact, knn, text, { costWeight: 10 })).toBe("cheap");
  });

  it("is repeatable: the same rows and seed give the same artifact", () => {
    const now = () => new Date(0);
    const a = trainArtifact(tinySet(), { ...TINY, routers: ["mlp", "elo"], now });
    const b = trainArtifact(tinySet(), { ...TINY, routers: ["mlp", "elo"], now });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it("learns from rows where only one candidate was observed (traffic), as every trainer skips the missing scores", async () => {
    const full = tinySet(40);
    const single = {
      candidates: full.candidates,
      examples: full.examples.map((e, i) => ({
        text: e.text,
        // Each prompt was answered by one candidate, a different one each time round the kinds.
        scores: e.scores.map((s, m) => (m === Math.floor(i / 3) % 3 ? s : Number.NaN)),
      })),
    };
    const json = trainArtifact(single, { ...TINY, routers: ["knn", "mlp", "elo"] });
    const artifact = await decodeArtifact(new TextEncoder().encode(JSON.stringify(json)));
    for (const router of artifact.routers) {
      expect(routeText(artifact, router, prompt("code", seededRandom(8)), { costWeight: 0 })).toBe("coder");
    }
  });

  it("trains routers on embeddings too, beside the local ones they fall back to", async () => {
    const set = tinySet();
    const axis = { trivia: 0, code: 1, maths: 2 } as const;
    const random = seededRandom(4);
    const vectors = set.examples.map((_, i) => {
      const v = Array.from({ length: 6 }, () => random() * 0.1);
      v[axis[KINDS[i % 3] as keyof typeof axis]] = 1;
      return v;
    });
    const json = trainArtifact(set, { ...TINY, routers: ["knn"], embeddings: { model: "embed", vectors } });
    const artifact = await decodeArtifact(new TextEncoder().encode(JSON.stringify(json)));
    expect(artifact.routers.map((r) => `${r.type}/${r.input}`)).toEqual(["knn/local", "knn/embedding"]);
    const embedded = artifact.routers[1] as LearnedRouter;
    const codeLike = artifact.embedding?.encode([0.05, 1, 0.02, 0.01, 0.03, 0.04]) as Float32Array;
    const [cheap = 0, coder = 0, big = 0] = embedded.predict(codeLike);
    expect(coder).toBeGreaterThan(cheap);
    expect(coder).toBeGreaterThan(big);
  });
});
