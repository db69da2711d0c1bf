import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "../config/load";
import type { RuntimeConfig } from "../config/runtime-config";
import { toDeployment } from "./model-entry";
import { type DatabaseModel, layeredConfig, type ModelLayer } from "./model-layer";

const fileConfig = (ids: string[]): RuntimeConfig =>
  loadConfig(
    JSON.stringify({
      model_list: ids.map((id) => ({
        model_name: "chat",
        litellm_params: { model: "mock/file", mock_response: "from the file" },
        model_info: { id },
      })),
    }),
    {},
  ).config;

function databaseModel(id: string, modelName: string): DatabaseModel {
  const raw = { model_name: modelName, litellm_params: { model: "mock/db", mock_response: "from the db" } };
  const { entry, deployment } = toDeployment(raw, id, {});
  const at = new Date(0);
  return { id, entry, deployment, createdAt: at, createdBy: "test", updatedAt: at, updatedBy: "test" };
}

describe("database models merged into the file's config", () => {
  it("serves a database model beside the file's, in its group", () => {
    const layer: ModelLayer = { revision: 1, models: [databaseModel("db-1", "chat")] };
    const shadowed = vi.fn();
    const config = layeredConfig(
      () => fileConfig(["file-1"]),
      () => layer,
      shadowed,
    )();
    expect(config.groups.get("chat")?.map((d) => d.id)).toEqual(["file-1", "db-1"]);
    expect(shadowed).not.toHaveBeenCalled();
  });

  it("reports, once per swap, a database model that a later file model's id hides", () => {
    const layer: ModelLayer = { revision: 1, models: [databaseModel("taken", "db-group")] };
    let base = fileConfig(["file-1"]);
    const shadowed = vi.fn();
    const config = layeredConfig(
      () => base,
      () => layer,
      shadowed,
    );
    expect(config().groups.has("db-group")).toBe(true);

    base = fileConfig(["file-1", "taken"]);
    expect(config().groups.has("db-group")).toBe(false);
    config();
    expect(shadowed).toHaveBeenCalledTimes(1);
    expect(shadowed.mock.calls[0]?.[0].map((m: DatabaseModel) => m.id)).toEqual(["taken"]);
  });
});
