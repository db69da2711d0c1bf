import { serviceUnavailable } from "../errors";
import { nextReset } from "../keys/duration";
import type { Sql } from "../store/sql/port";
import { startBudgetWindow } from "../store/tables/budget-windows";
import {
  getProxyBudget,
  PROXY_BUDGET_ID,
  type ProxyBudgetRecord,
  startFirstProxyWindow,
} from "../store/tables/proxy-budget";
import type { LimitSubject } from "./subject";

/** `litellm_settings.max_budget` and `budget_duration`. */
export interface ProxyBudgetSettings {
  /** USD, across every request in a window. */
  readonly maxBudget: number;
  /** How long a window lasts; without one, the budget never resets. */
  readonly budgetDuration: string | undefined;
}

export interface ProxyBudgetOptions {
  readonly sql: Sql;
  /** How long the spend read from Postgres is used before it is read again (the limiter counts meanwhile). */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly value: Promise<ProxyBudgetRecord>;
  readonly expires: number;
  readonly duration: string | undefined;
}

/**
 * The proxy-wide budget as a limiter subject. Its spend is read from Postgres at most once per TTL
 * (concurrent reads share it); between reads the limiter's live counter carries it, as for keys.
 * A window that has ended is rolled here by whichever replica sees it first, and the next starts
 * then: under traffic, within a TTL of the reset time.
 */
export class ProxyBudget {
  readonly #sql: Sql;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #entry: Entry | undefined;
  #lastRead: ProxyBudgetRecord | undefined;

  constructor(options: ProxyBudgetOptions) {
    this.#sql = options.sql;
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  async subject(settings: ProxyBudgetSettings): Promise<LimitSubject> {
    const record = await this.#read(settings.budgetDuration);
    return {
      scope: "proxy",
      id: PROXY_BUDGET_ID,
      rpmLimit: undefined,
      tpmLimit: undefined,
      maxParallelRequests: undefined,
      maxBudget: settings.maxBudget,
      spend: record.spend,
      budgetResetAt: settings.budgetDuration === undefined ? undefined : (record.budgetResetAt ?? undefined),
    };
  }

  async #read(duration: string | undefined): Promise<ProxyBudgetRecord> {
    const now = this.#now();
    let entry = this.#entry;
    if (entry === undefined || entry.expires <= now || entry.duration !== duration) {
      entry = { value: this.#load(duration), expires: now + this.#ttlMs, duration };
      this.#entry = entry;
    }
    try {
      const record = await entry.value;
      this.#lastRead = record;
      return record;
    } catch {
      if (this.#entry === entry) this.#entry = undefined;
      // Postgres is down: the last figure read still seeds the live counter, which Redis keeps,
      // and is used for a TTL so that requests do not each wait on the database.
      const last = this.#lastRead;
      if (last === undefined) {
        throw serviceUnavailable(
          "cannot check the gateway's budget right now: the database is unreachable",
          1,
        );
      }
      this.#entry ??= { value: Promise.resolve(last), expires: now + this.#ttlMs, duration };
      return last;
    }
  }

  async #load(duration: string | undefined): Promise<ProxyBudgetRecord> {
    const record = await getProxyBudget(this.#sql);
    if (duration === undefined) return record;
    const now = this.#now();
    const { budgetResetAt } = record;
    if (budgetResetAt !== null && budgetResetAt.getTime() > now) return record;
    const next = nextReset(new Date(now), duration);
    if (budgetResetAt === null) await startFirstProxyWindow(this.#sql, next);
    else await startBudgetWindow(this.#sql, "proxy", PROXY_BUDGET_ID, budgetResetAt, next);
    // Read again: the window was just started here or by another replica.
    return getProxyBudget(this.#sql);
  }
}
