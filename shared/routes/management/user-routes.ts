import { Hono } from "hono";
import { z } from "zod";
import type { GatewayEnv } from "../../http/env";
import { generateKey, hashKey, keyName } from "../../keys/key-material";
import { insertKey, keysOwnedBy } from "../../store/tables/keys";
import { getTeams } from "../../store/tables/teams";
import {
  deleteUsers,
  getUser,
  insertUser,
  listUsers,
  SORTABLE,
  type UserPatch,
  updateUser,
} from "../../store/tables/users";
import { announceKeyChanges, resetLiveSpend } from "./announce";
import { notFound, rethrowConstraint } from "./errors";
import { idSchema, limitFields, limitPatch, queryInt, spendSchema } from "./fields";
import { readBody, readQuery } from "./input";
import { keyView, teamView, userView } from "./present";
import { requireTeams } from "./references";

// LiteLLM's roles; the gateway stores them for compatibility, the master key is what authorises.
const USER_ROLES = [
  "proxy_admin",
  "proxy_admin_viewer",
  "internal_user",
  "internal_user_viewer",
  "team",
  "customer",
] as const;

const userFields = {
  user_email: z
    .string()
    .max(320)
    .regex(/^[^@\s]+@[^@\s]+$/, "expected an email address")
    .nullable()
    .optional(),
  user_role: z.enum(USER_ROLES).optional(),
  teams: z.array(idSchema).max(1000).optional(),
  ...limitFields,
};
export const newUserSchema = z.strictObject({
  user_id: idSchema.optional(),
  ...userFields,
  auto_create_key: z.boolean().optional(),
});
export const updateUserSchema = z.strictObject({
  user_id: idSchema,
  ...userFields,
  spend: spendSchema.optional(),
});
export const deleteUsersSchema = z.strictObject({ user_ids: z.array(idSchema).min(1).max(1000) });
export const userInfoQuerySchema = z.strictObject({ user_id: idSchema });

export const listUsersQuerySchema = z.strictObject({
  role: z.enum(USER_ROLES).optional(),
  // Comma-separated, as LiteLLM takes them.
  user_ids: z
    .string()
    .transform((text) =>
      text
        .split(",")
        .map((id) => id.trim())
        .filter((id) => id !== ""),
    )
    .pipe(z.array(idSchema).max(1000))
    .optional(),
  user_email: z.string().min(1).max(320).optional(),
  team: idSchema.optional(),
  page: queryInt(1_000_000).optional(),
  page_size: queryInt(100).optional(),
  sort_by: z.enum(Object.keys(SORTABLE) as [keyof typeof SORTABLE]).optional(),
  sort_order: z.enum(["asc", "desc"]).optional(),
});

const USER_CONSTRAINTS = { routeiq_users_pkey: "user_id" };

const userNotFound = (param = "user_id") => notFound(`${param}: user not found`, param, "user_not_found");

const userPatch = (
  input: z.infer<z.ZodObject<typeof userFields>> & { spend?: number },
  now: Date,
): UserPatch => ({
  ...limitPatch(input, now),
  userEmail: input.user_email,
  userRole: input.user_role,
  teams: input.teams === undefined ? undefined : [...new Set(input.teams)],
  spend: input.spend,
});

/** LiteLLM's user API: `/user/new`, `/user/info`, `/user/list`, `/user/update`, `/user/delete`. */
export function userRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.post("/user/new", async (c) => {
    const input = await readBody(c, newUserSchema);
    const { sql } = c.get("deps");
    await requireTeams(sql, input.teams);
    const patch = userPatch(input, new Date());
    const userId = input.user_id ?? crypto.randomUUID();
    // As LiteLLM does, a new user gets a key unless asked not to; shown here once, like any key.
    const secret = input.auto_create_key === false ? undefined : generateKey();
    const newKey =
      secret === undefined ? undefined : { keyHash: await hashKey(secret), keyName: keyName(secret), userId };
    const { user, keyRecord } = await sql
      .transaction(async (tx) => ({
        user: await insertUser(tx, { ...patch, userId }),
        keyRecord: newKey === undefined ? undefined : await insertKey(tx, newKey),
      }))
      .catch((error: unknown) => rethrowConstraint(error, USER_CONSTRAINTS));
    if (keyRecord === undefined) return c.json(userView(user));
    return c.json({
      ...userView(user),
      key: secret,
      key_name: keyRecord.keyName,
      token: keyRecord.keyHash,
      expires: keyRecord.expiresAt,
    });
  });

  app.get("/user/info", async (c) => {
    const { user_id: userId } = readQuery(c, userInfoQuerySchema);
    const { sql } = c.get("deps");
    const user = await getUser(sql, userId);
    if (user === undefined) throw userNotFound();
    const [keys, teams] = await Promise.all([keysOwnedBy(sql, { userId }), getTeams(sql, user.teams)]);
    return c.json({
      user_id: userId,
      user_info: userView(user),
      keys: keys.map(keyView),
      teams: teams.map(teamView),
    });
  });

  app.get("/user/list", async (c) => {
    const query = readQuery(c, listUsersQuerySchema);
    const page = query.page ?? 1;
    const size = query.page_size ?? 25;
    const { users, total } = await listUsers(c.get("deps").sql, {
      role: query.role,
      userIds: query.user_ids,
      emailContains: query.user_email,
      teamId: query.team,
      sortBy: query.sort_by,
      descending: query.sort_order === "desc",
      page,
      size,
    });
    return c.json({
      users: users.map((user) => ({ ...userView(user), key_count: user.keyCount })),
      total,
      page,
      page_size: size,
      total_pages: Math.ceil(total / size),
    });
  });

  app.post("/user/update", async (c) => {
    const input = await readBody(c, updateUserSchema);
    const { sql } = c.get("deps");
    await requireTeams(sql, input.teams);
    const user = await updateUser(sql, input.user_id, userPatch(input, new Date()));
    if (user === undefined) throw userNotFound();
    if (input.spend !== undefined) await resetLiveSpend(c, [{ scope: "user", id: user.userId }]);
    // A user's limits apply to every key the user holds.
    const keys = await keysOwnedBy(sql, { userId: user.userId });
    await announceKeyChanges(
      c,
      keys.map((key) => key.keyHash),
    );
    return c.json({ user_id: user.userId, data: userView(user) });
  });

  app.post("/user/delete", async (c) => {
    const { user_ids: userIds } = await readBody(c, deleteUsersSchema);
    const deleted = await c.get("deps").sql.transaction(async (tx) => {
      const result = await deleteUsers(tx, userIds);
      const missing = userIds.findIndex((id) => !result.userIds.includes(id));
      if (missing >= 0) throw userNotFound(`user_ids[${missing}]`);
      return result;
    });
    await announceKeyChanges(c, deleted.keyHashes);
    return c.json({ deleted_users: deleted.userIds, deleted_keys: deleted.keyHashes });
  });

  return app;
}
