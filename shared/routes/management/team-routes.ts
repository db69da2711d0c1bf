import { Hono } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../../http/env";
import { keysOwnedBy } from "../../store/tables/keys";
import {
  deleteTeams,
  getTeam,
  insertTeam,
  listTeams,
  type TeamPatch,
  updateTeam,
} from "../../store/tables/teams";
import { announceKeyChanges } from "./announce";
import { notFound, rethrowConstraint } from "./errors";
import { aliasSchema, idSchema, limitFields, limitPatch } from "./fields";
import { readBody, readQuery } from "./input";
import { keyView, teamView } from "./present";

const teamFields = {
  team_alias: aliasSchema.nullable().optional(),
  ...limitFields,
  blocked: z.boolean().optional(),
};
const newTeamSchema = z.strictObject({ team_id: idSchema.optional(), ...teamFields });
const updateTeamSchema = z.strictObject({ team_id: idSchema, ...teamFields });
const deleteTeamsSchema = z.strictObject({ team_ids: z.array(idSchema).min(1).max(1000) });
const teamInfoQuerySchema = z.strictObject({ team_id: idSchema });
const emptyQuerySchema = z.strictObject({});

const TEAM_CONSTRAINTS = { routeiq_teams_pkey: "team_id" };

const teamNotFound = (param = "team_id") => notFound(`${param}: team not found`, param, "team_not_found");

const teamPatch = (input: z.infer<z.ZodObject<typeof teamFields>>, now: Date): TeamPatch => ({
  ...limitPatch(input, now),
  teamAlias: input.team_alias,
  blocked: input.blocked,
});

/** LiteLLM's team API: `/team/new`, `/team/info`, `/team/update`, `/team/delete`, `/team/list`. */
export function teamRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.post("/team/new", async (c) => {
    const input = await readBody(c, newTeamSchema);
    const team = await insertTeam(c.get("deps").sql, {
      ...teamPatch(input, new Date()),
      teamId: input.team_id ?? crypto.randomUUID(),
    }).catch((error: unknown) => rethrowConstraint(error, TEAM_CONSTRAINTS));
    return c.json(teamView(team));
  });

  app.get("/team/info", async (c) => {
    const { team_id: teamId } = readQuery(c, teamInfoQuerySchema);
    const { sql } = c.get("deps");
    const team = await getTeam(sql, teamId);
    if (team === undefined) throw teamNotFound();
    const keys = await keysOwnedBy(sql, { teamId });
    return c.json({ team_id: teamId, team_info: teamView(team), keys: keys.map(keyView) });
  });

  app.post("/team/update", async (c) => {
    const input = await readBody(c, updateTeamSchema);
    const { sql } = c.get("deps");
    const team = await updateTeam(sql, input.team_id, teamPatch(input, new Date()));
    if (team === undefined) throw teamNotFound();
    // A team's limits and block apply to every key in it, so their cached copies are stale too.
    const keys = await keysOwnedBy(sql, { teamId: team.teamId });
    await announceKeyChanges(
      c,
      keys.map((key) => key.keyHash),
    );
    return c.json({ team_id: team.teamId, data: teamView(team) });
  });

  app.post("/team/delete", async (c) => {
    const { team_ids: teamIds } = await readBody(c, deleteTeamsSchema);
    const deleted = await c.get("deps").sql.transaction(async (tx) => {
      const result = await deleteTeams(tx, teamIds);
      const missing = teamIds.findIndex((id) => !result.teamIds.includes(id));
      // All or nothing, as for keys: the rollback keeps the teams that were found.
      if (missing >= 0) throw teamNotFound(`team_ids[${missing}]`);
      return result;
    });
    await announceKeyChanges(c, deleted.keyHashes);
    return c.json({ deleted_teams: deleted.teamIds, deleted_keys: deleted.keyHashes });
  });

  app.get("/team/list", async (c) => {
    readQuery(c, emptyQuerySchema);
    const teams = await listTeams(c.get("deps").sql);
    return c.json(teams.map(teamView));
  });

  return app;
}
