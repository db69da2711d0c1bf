import type { Sql, SqlExecutor } from "../../shared/store/sql/port";

type Privilege = "SELECT" | "INSERT" | "UPDATE" | "DELETE";

interface Grants {
  /** Table → the statements run on it (INSERT ... RETURNING and SELECT ... FOR UPDATE need SELECT). */
  readonly tables: Readonly<Record<string, readonly Privilege[]>>;
  /** Sequences behind `bigserial` columns the role inserts into. */
  readonly sequences: readonly string[];
}

const READ_WRITE: readonly Privilege[] = Object.freeze(["SELECT", "INSERT", "UPDATE", "DELETE"]);

/**
 * What each kind of process does with each table: exactly the statements of shared/store/tables,
 * shared/spend and their callers. A table no entry names is the schema owner's alone.
 */
export const ACCESS = Object.freeze({
  /**
   * A gateway answering requests: keys, teams and users read per request and written by the
   * management API, spend added and logged, spend logs queried, config revisions followed, the
   * proxy-wide budget read, added to and its window rolled (its one row is the migration's).
   */
  serve: {
    tables: {
      routeiq_keys: READ_WRITE,
      routeiq_teams: READ_WRITE,
      routeiq_users: READ_WRITE,
      routeiq_spend_logs: ["SELECT", "INSERT"],
      routeiq_proxy_budget: ["SELECT", "UPDATE"],
      routeiq_config_revisions: ["SELECT"],
    },
    sequences: [],
  },
  /** The config sync (the sync function, or a Node gateway that runs it): lease, then publish. */
  publish: {
    tables: {
      routeiq_leases: ["SELECT", "INSERT", "UPDATE"],
      routeiq_config_revisions: ["SELECT", "INSERT"],
      routeiq_artifacts: ["SELECT", "INSERT"],
    },
    sequences: ["routeiq_config_revisions_revision_seq", "routeiq_artifacts_revision_seq"],
  },
} as const satisfies Record<string, Grants>);

export type Access = keyof typeof ACCESS;
export const ACCESS_NAMES = Object.freeze(Object.keys(ACCESS) as Access[]);

/** Tables no login role may touch: only the schema owner (the migration) reads and writes them. */
export const OWNER_ONLY_TABLES = Object.freeze(["routeiq_migrations"]);

export interface LoginRole {
  readonly name: string;
  /** A SCRAM-SHA-256 verifier (scram-verifier.ts), never the password itself. */
  readonly passwordVerifier: string;
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
} {
  const tables = new Map<string, Set<Privilege>>();
  const sequences = new Set<string>();
  for (const name of access) {
    const grants: Grants = ACCESS[name];
    for (const [table, privileges] of Object.entries(grants.tables)) {
      const set = tables.get(table) ?? new Set<Privilege>();
      for (const privilege of privileges) set.add(privilege);
      tables.set(table, set);
    }
    for (const sequence of grants.sequences) sequences.add(sequence);
  }
  return { tables, sequences };
}

async function applyRole(tx: SqlExecutor, schema: string, role: LoginRole): Promise<void> {
  if (!VERIFIER.test(role.passwordVerifier)) {
    throw new Error(`role ${role.name}: the password must be given as a SCRAM-SHA-256 verifier`);
  }
  const name = quoted(role.name);
  const { rowCount } = await tx.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role.name]);
  // Created with PostgreSQL's defaults: no superuser, CREATEDB, CREATEROLE, replication or RLS bypass.
  if (rowCount === 0) await tx.query(`CREATE ROLE ${name} LOGIN`);
  await tx.query(`ALTER ROLE ${name} WITH LOGIN PASSWORD '${role.passwordVerifier}'`);
  // From scratch every run, so access a release no longer lists is taken back.
  await tx.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${schema} FROM ${name}`);
  await tx.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${schema} FROM ${name}`);
  await tx.query(`REVOKE ALL ON SCHEMA ${schema} FROM ${name}`);
  await tx.query(`GRANT USAGE ON SCHEMA ${schema} TO ${name}`);
  const { tables, sequences } = grantsFor(role.access);
  for (const [table, privileges] of tables) {
    await tx.query(`GRANT ${[...privileges].join(", ")} ON TABLE ${schema}.${quoted(table)} TO ${name}`);
  }
  for (const sequence of sequences) {
    await tx.query(`GRANT USAGE ON SEQUENCE ${schema}.${quoted(sequence)} TO ${name}`);
  }
}

/**
 * Creates each login role if missing, sets its password, and gives it exactly its access on the
 * tables of the current schema (where the migrations put them), in one transaction after the
 * migrations: idempotent, so every deploy re-applies it, and a new table is granted by the same
 * deploy that creates it. Run it as the schema's owner.
 */
export async function applyDatabaseRoles(sql: Sql, roles: readonly LoginRole[]): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${ROLES_LOCK_ID})`);
    const { rows } = await tx.query<{ schema: string }>('SELECT current_schema() AS "schema"');
    const schema = quoted(rows[0]?.schema ?? "");
    for (const role of roles) await applyRole(tx, schema, role);
  });
}
