import type { Sql, SqlExecutor } from "../../shared/store/sql/port";

type Privilege = "SELECT" | "INSERT" | "UPDATE" | "DELETE";

interface Grants {
  /** Table → the statements run on it (INSERT ... RETURNING and SELECT ... FOR UPDATE need SELECT). */
  readonly tables: Readonly<Record<string, readonly Privilege[]>>;
  /** Sequences behind `bigserial` columns the role inserts into. */
  readonly sequences: readonly string[];
  /** Functions the role calls, by signature (their EXECUTE is revoked from PUBLIC by the migration). */
  readonly functions?: readonly string[];
}

const READ_WRITE: readonly Privilege[] = Object.freeze(["SELECT", "INSERT", "UPDATE", "DELETE"]);

/**
 * What each kind of process does with each table: exactly the statements of shared/store/tables,
 * shared/spend and their callers. A table no entry names is the schema owner's alone.
 */
export const ACCESS = Object.freeze({
  /**
   * A gateway answering requests: keys, teams and users read per request and written by the
   * management API, spend added and logged, spend logs queried, config revisions and routing
   * models followed, the proxy-wide budget read, added to and its window rolled (its one row is the
   * migration's), feedback on learned routing recorded (never changed; INSERT ... ON CONFLICT needs
   * SELECT to find the conflict), models added through the API stored with one audit row each,
   * MCP servers and A2A agents registered by the management API.
   */
  serve: {
    tables: {
      routeiq_keys: READ_WRITE,
      routeiq_teams: READ_WRITE,
      routeiq_users: READ_WRITE,
      routeiq_spend_logs: ["SELECT", "INSERT"],
      routeiq_spend_daily: ["SELECT", "INSERT", "UPDATE"],
      routeiq_proxy_budget: ["SELECT", "UPDATE"],
      routeiq_config_revisions: ["SELECT"],
      routeiq_artifacts: ["SELECT"],
      routeiq_router_feedback: ["SELECT", "INSERT"],
      routeiq_mcp_servers: READ_WRITE,
      routeiq_a2a_agents: READ_WRITE,
      routeiq_models: READ_WRITE,
      routeiq_model_audit: ["SELECT", "INSERT"],
    },
    sequences: ["routeiq_model_audit_change_id_seq"],
  },
  /**
   * The config sync (the sync function, or a Node gateway that runs it): lease, then publish; and,
   * under a lease of its own, the spend log's partitions made ahead and dropped past retention.
   */
  publish: {
    tables: {
      routeiq_leases: ["SELECT", "INSERT", "UPDATE"],
      routeiq_config_revisions: ["SELECT", "INSERT"],
      routeiq_artifacts: ["SELECT", "INSERT"],
    },
    sequences: ["routeiq_config_revisions_revision_seq", "routeiq_artifacts_revision_seq"],
    functions: [
      "routeiq_spend_log_partition_create(date)",
      "routeiq_spend_log_partitions_drop_before(timestamptz)",
    ],
  },
  /** Retraining routers on the gateway's traffic (`router:train --spend-log`): reads only. */
  train: {
    tables: {
      routeiq_spend_logs: ["SELECT"],
      routeiq_router_feedback: ["SELECT"],
    },
    sequences: [],
  },
} as const satisfies Record<string, Grants>);

export type Access = keyof typeof ACCESS;
export const ACCESS_NAMES = Object.freeze(Object.keys(ACCESS) as Access[]);

/** Tables no login role may touch: only the schema owner (the migration) reads and writes them. */
export const OWNER_ONLY_TABLES = Object.freeze(["routeiq_migrations"]);

export interface LoginRole {
  readonly name: string;
  /**
   * A SCRAM-SHA-256 verifier (scram-verifier.ts), never the password itself: the role is created
   * if missing and given this password. Unset: the role must exist (the operator made it, with a
   * password of their own, as on Neon), and only its access is set.
   */
  readonly passwordVerifier?: string;
  readonly access: readonly Access[];
}

/** Distinct from migrate.ts's: a role run waits for a migration to finish, never the reverse. */
const ROLES_LOCK_ID = 7_359_122_042_608_152n;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const VERIFIER = /^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/;

/** Role and table names go into DDL, which takes no parameters: only plain lower-case names pass. */
function quoted(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`"${name}" is not a plain lower-case SQL identifier`);
  return `"${name}"`;
}

/** The union of `access`'s grants, table by table. */
function grantsFor(access: readonly Access[]): {
  tables: Map<string, Set<Privilege>>;
  sequences: Set<string>;
  functions: Set<string>;
} {
  const tables = new Map<string, Set<Privilege>>();
  const sequences = new Set<string>();
  const functions = new Set<string>();
  for (const name of access) {
    const grants: Grants = ACCESS[name];
    for (const [table, privileges] of Object.entries(grants.tables)) {
      const set = tables.get(table) ?? new Set<Privilege>();
      for (const privilege of privileges) set.add(privilege);
      tables.set(table, set);
    }
    for (const sequence of grants.sequences) sequences.add(sequence);
    for (const fn of grants.functions ?? []) functions.add(fn);
  }
  return { tables, sequences, functions };
}

/**
 * Refuses a role whose access grants cannot bound: the migration's own user (revoking its access
 * would take the schema from its owner), and a role with powers or memberships beyond its grants,
 * such as a Neon Console role, which is a member of neon_superuser.
 */
async function checkPlain(tx: SqlExecutor, name: string): Promise<void> {
  const { rows } = await tx.query<{ own: boolean; powers: string[]; member_of: string[] }>(
    `SELECT r.rolname = current_user AS own,
            array_remove(ARRAY[
              CASE WHEN r.rolsuper THEN 'SUPERUSER' END,
              CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END,
              CASE WHEN r.rolcreatedb THEN 'CREATEDB' END,
              CASE WHEN r.rolreplication THEN 'REPLICATION' END,
              CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END
            ], NULL) AS powers,
            ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                  WHERE m.member = r.oid ORDER BY 1) AS member_of
       FROM pg_roles r WHERE r.rolname = $1`,
    [name],
  );
  const role = rows[0];
  if (role === undefined) return;
  if (role.own) {
    throw new Error(
      `role ${name} is the migration's own user, the schema's owner: give the gateway and sync roles of their own`,
    );
  }
  const extra = [...role.powers, ...role.member_of.map((group) => `member of ${group}`)];
  if (extra.length > 0) {
    throw new Error(
      `role ${name} has more than its grants (${extra.join(", ")}): create it with SQL, as a plain LOGIN role`,
    );
  }
}

async function applyRole(tx: SqlExecutor, schema: string, role: LoginRole): Promise<void> {
  const { passwordVerifier } = role;
  if (passwordVerifier !== undefined && !VERIFIER.test(passwordVerifier)) {
    throw new Error(`role ${role.name}: the password must be given as a SCRAM-SHA-256 verifier`);
  }
  const name = quoted(role.name);
  await checkPlain(tx, role.name);
  const { rowCount } = await tx.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role.name]);
  if (passwordVerifier === undefined) {
    if (rowCount === 0) {
      throw new Error(
        `role ${role.name} does not exist: create it (CREATE ROLE ${role.name} LOGIN PASSWORD '...') before deploying`,
      );
    }
  } else {
    // Created with PostgreSQL's defaults: no superuser, CREATEDB, CREATEROLE, replication or RLS bypass.
    if (rowCount === 0) await tx.query(`CREATE ROLE ${name} LOGIN`);
    await tx.query(`ALTER ROLE ${name} WITH LOGIN PASSWORD '${passwordVerifier}'`);
  }
  // From scratch every run, so access a release no longer lists is taken back.
  await tx.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${schema} FROM ${name}`);
  await tx.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${schema} FROM ${name}`);
  await tx.query(`REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ${schema} FROM ${name}`);
  await tx.query(`REVOKE ALL ON SCHEMA ${schema} FROM ${name}`);
  await tx.query(`GRANT USAGE ON SCHEMA ${schema} TO ${name}`);
  const { tables, sequences, functions } = grantsFor(role.access);
  for (const [table, privileges] of tables) {
    await tx.query(`GRANT ${[...privileges].join(", ")} ON TABLE ${schema}.${quoted(table)} TO ${name}`);
  }
  for (const sequence of sequences) {
    await tx.query(`GRANT USAGE ON SEQUENCE ${schema}.${quoted(sequence)} TO ${name}`);
  }
  for (const fn of functions) await tx.query(`GRANT EXECUTE ON FUNCTION ${schema}.${fn} TO ${name}`);
}

/**
 * One entry per role: a role named twice (one URL given for both the gateway and the sync) gets
 * the union of its access, since each entry would otherwise take back what the other granted.
 * Its password may come from one entry only.
 */
function mergeByName(roles: readonly LoginRole[]): LoginRole[] {
  const merged = new Map<string, LoginRole>();
  for (const role of roles) {
    const seen = merged.get(role.name);
    if (seen === undefined) {
      merged.set(role.name, role);
      continue;
    }
    if (seen.passwordVerifier !== undefined && role.passwordVerifier !== undefined) {
      throw new Error(`role ${role.name} is given twice with a password`);
    }
    merged.set(role.name, {
      name: role.name,
      passwordVerifier: seen.passwordVerifier ?? role.passwordVerifier,
      access: [...new Set([...seen.access, ...role.access])],
    });
  }
  return [...merged.values()];
}

/**
 * Creates each login role if missing and sets its password (when one is given), and gives it
 * exactly its access on the tables of the current schema (where the migrations put them), in one
 * transaction after the migrations: idempotent, so every deploy re-applies it, and a new table is
 * granted by the same deploy that creates it. Run it as the schema's owner.
 */
export async function applyDatabaseRoles(sql: Sql, roles: readonly LoginRole[]): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${ROLES_LOCK_ID})`);
    const { rows } = await tx.query<{ schema: string }>('SELECT current_schema() AS "schema"');
    const schema = quoted(rows[0]?.schema ?? "");
    for (const role of mergeByName(roles)) await applyRole(tx, schema, role);
  });
}
