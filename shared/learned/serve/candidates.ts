import type { Deployment } from "../../config/deployment";
import type { LoadedArtifact } from "../router";

/**
 * Which deployments of a group each artifact candidate stands for: those the group's `candidates`
 * mapping names, else those whose id or upstream model is the candidate's name. Indexed like
 * `artifact.candidates`; a candidate no deployment serves gets an empty list and is never chosen.
 */
export type CandidateDeployments = readonly (readonly Deployment[])[];

const resolved = new WeakMap<LoadedArtifact, WeakMap<readonly Deployment[], CandidateDeployments>>();

export function candidateDeployments(
  artifact: LoadedArtifact,
  deployments: readonly Deployment[],
  mapping: Readonly<Record<string, string>>,
): CandidateDeployments {
  let byGroup = resolved.get(artifact);
  if (byGroup === undefined) {
    byGroup = new WeakMap();
    resolved.set(artifact, byGroup);
  }
  const cached = byGroup.get(deployments);
  if (cached !== undefined) return cached;
  const result = artifact.candidates.map(({ name }) => {
    const mapped = mapping[name];
    return mapped !== undefined
      ? deployments.filter((d) => d.id === mapped)
      : deployments.filter((d) => d.id === name || d.model === name);
  });
  byGroup.set(deployments, result);
  return result;
}
