import { Hono } from "hono";
import { z } from "zod";
import { badRequest } from "../../errors";
import type { GatewayEnv } from "../../http/env";
import type { SqlExecutor } from "../../store/sql/port";
import { keysOwnedBy } from "../../store/tables/keys";
import {
  deleteTeams,
  getTeam,
  getTeamForShare,
  insertTeam,
  listTeams,
  type TeamPatch,
  type TeamRecord,
  updateTeam,
} from "../../store/tables/teams";
import {
  getUser,
  insertUser,
  joinTeam,
  leaveTeam,
  teamMembers,
  type UserRecord,
  usersByEmail,
} from "../../store/tables/users";
import { announceKeyChanges } from "./announce";
import { notFound, rethrowConstraint } from "./errors";
import { aliasSchema, idSchema, limitFields, limitPatch } from "./fields";
import { readBody, readQuery } from "./input";
import { keyView, teamView, userView } from "./present";

const teamFields = {
  team_alias: aliasSchema.nullable().optional(),
  ...limitFields,
  blocked: z.boolean().optional(),
};
export const newTeamSchema = z.strictObject({ team_id: idSchema.optional(), ...teamFields });
export const updateTeamSchema = z.strictObject({ team_id: idSchema, ...teamFields });
export const deleteTeamsSchema = z.strictObject({ team_ids: z.array(idSchema).min(1).max(1000) });
export const teamInfoQuerySchema = z.strictObject({ team_id: idSchema });
export const emptyQuerySchema = z.strictObject({});

const emailSchema = z
  .string()
  .max(320)
  .regex(/^[^@\s]+@[^@\s]+$/, "expected an email address");
const memberSchema = z.strictObject({
  role: z.enum(["user", "admin"]).optional(),
  user_id: idSchema.optional(),
  user_email: emailSchema.optional(),
});
export const memberAddSchema = z.strictObject({
  team_id: idSchema,
  member: z.union([memberSchema, z.array(memberSchema).min(1).max(1000)]),
  // LiteLLM's per-member budget inside a team; accepted only to be refused with what to do instead.
  max_budget_in_team: z.unknown().optional(),
});
export const memberDeleteSchema = z.strictObject({
  team_id: idSchema,
  user_id: idSchema.optional(),
  user_email: emailSchema.optional(),
});

const TEAM_CONSTRAINTS = { routeiq_teams_pkey: "team_id" };

const teamNotFound = (param = "team_id") => notFound(`${param}: team not found`, param, "team_not_found");

const teamPatch = (input: z.infer<z.ZodObject<typeof teamFields>>, now: Date): TeamPatch => ({
  ...limitPatch(input, now),
  teamAlias: input.team_alias,
  blocked: input.blocked,
});

/** A team as `/team/member_add` and `/team/member_delete` answer it, with its members. */
async function teamWithMembers(sql: SqlExecutor, team: TeamRecord) {
  const members = await teamMembers(sql, team.teamId);
  return {
    ...teamView(team),
    // Every member is a plain member: RouteIQ has no team admins (the master key manages teams).
    members_with_roles: members.map((user) => ({
      user_id: user.userId,
      user_email: user.userEmail,
      role: "user",
    })),
  };
}

/** The user a member entry names, created when it does not exist yet (as LiteLLM does). */
async function memberUser(
  sql: SqlExecutor,
  member: z.infer<typeof memberSchema>,
  param: string,
): Promise<UserRecord> {
  if (member.role === "admin") {
    throw badRequest(
      `${param}.role: "admin" is not supported: RouteIQ has no team admins, only the master key manages teams; add the member as "user"`,
      `${param}.role`,
    );
  }
  if (member.user_id !== undefined) {
    const user = await getUser(sql, member.user_id);
    return user ?? insertUser(sql, { userId: member.user_id, userEmail: member.user_email });
  }
  if (member.user_email === undefined) {
    throw badRequest(`${param}: send user_id or user_email`, param);
  }
  const [user, ...others] = await usersByEmail(sql, member.user_email);
  if (others.length > 0) {
    throw badRequest(
      `${param}.user_email: more than one user has this email; send user_id`,
      `${param}.user_email`,
    );
  }
  return user ?? insertUser(sql, { userId: crypto.randomUUID(), userEmail: member.user_email });
}

/**
 * LiteLLM's team API: `/team/new`, `/team/info`, `/team/update`, `/team/delete`, `/team/list`,
 * `/team/member_add`, `/team/member_delete`.
 */
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

  app.post("/team/member_add", async (c) => {
    const input = await readBody(c, memberAddSchema);
    if (input.max_budget_in_team !== undefined) {
      throw badRequest(
        "max_budget_in_team: budgets per team member are not supported; set max_budget on the user (/user/update) or on its keys",
        "max_budget_in_team",
      );
    }
    const members = Array.isArray(input.member) ? input.member : [input.member];
    // All or nothing: one member refused leaves the team as it was.
    const { team, users } = await c
      .get("deps")
      .sql.transaction(async (tx) => {
        const found = await getTeamForShare(tx, input.team_id);
        if (found === undefined) throw teamNotFound();
        const added: UserRecord[] = [];
        for (const [index, member] of members.entries()) {
          const param = Array.isArray(input.member) ? `member[${index}]` : "member";
          const user = await memberUser(tx, member, param);
          const joined = await joinTeam(tx, user.userId, found.teamId);
          if (joined === undefined) {
            throw badRequest(
              `${param}: user "${user.userId}" is already in team "${found.teamId}"`,
              param,
              "duplicate",
            );
          }
          added.push(joined);
        }
        return { team: await teamWithMembers(tx, found), users: added };
      })
      .catch((error: unknown) => rethrowConstraint(error, { routeiq_users_pkey: "member" }));
    return c.json({ ...team, updated_users: users.map(userView), updated_team_memberships: [] });
  });

  app.post("/team/member_delete", async (c) => {
    const input = await readBody(c, memberDeleteSchema);
    const { sql } = c.get("deps");
    const team = await getTeam(sql, input.team_id);
    if (team === undefined) throw teamNotFound();
    const who =
      input.user_id !== undefined
        ? { userId: input.user_id }
        : input.user_email !== undefined
          ? { userEmail: input.user_email }
          : undefined;
    if (who === undefined) throw badRequest("user_id: send user_id or user_email", "user_id");
    const removed = await leaveTeam(sql, team.teamId, who);
    if (removed.length === 0) {
      const param = "userId" in who ? "user_id" : "user_email";
      throw badRequest(`${param}: not a member of team "${team.teamId}"`, param, "member_not_found");
    }
    return c.json(await teamWithMembers(sql, team));
  });

  app.get("/team/list", async (c) => {
    readQuery(c, emptyQuerySchema);
    const teams = await listTeams(c.get("deps").sql);
    return c.json(teams.map(teamView));
  });

  return app;
}
