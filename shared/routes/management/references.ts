import { badRequest } from "../../errors";
import type { SqlExecutor } from "../../store/sql/port";
import { getTeam, getTeams } from "../../store/tables/teams";
import { getUser } from "../../store/tables/users";

/**
 * A key or user may only point at teams and users that exist: a typo in `team_id` should be a
 * 400 naming it, not a key silently outside every team budget. Absent or null means no reference.
 */
export async function requireTeam(sql: SqlExecutor, teamId: string | null | undefined): Promise<void> {
  if (teamId === undefined || teamId === null) return;
  if ((await getTeam(sql, teamId)) === undefined) {
    throw badRequest("team_id: no team with this id (create it with /team/new)", "team_id", "team_not_found");
  }
}

export async function requireUser(sql: SqlExecutor, userId: string | null | undefined): Promise<void> {
  if (userId === undefined || userId === null) return;
  if ((await getUser(sql, userId)) === undefined) {
    throw badRequest("user_id: no user with this id (create it with /user/new)", "user_id", "user_not_found");
  }
}

export async function requireTeams(sql: SqlExecutor, teamIds: readonly string[] | undefined): Promise<void> {
  if (teamIds === undefined || teamIds.length === 0) return;
  const found = new Set((await getTeams(sql, teamIds)).map((team) => team.teamId));
  const missing = teamIds.findIndex((id) => !found.has(id));
  if (missing >= 0) {
    const param = `teams[${missing}]`;
    throw badRequest(`${param}: no team with this id (create it with /team/new)`, param, "team_not_found");
  }
}
