import keysTeamsUsersSpend from "./0001-keys-teams-users-spend";
import leasesConfigRevisions from "./0002-leases-config-revisions";
import artifacts from "./0003-artifacts";
import proxyBudget from "./0004-proxy-budget";
import routerFeedback from "./0005-router-feedback";
import models from "./0006-models";
import modelAudit from "./0007-model-audit";
import mcpServers from "./0008-mcp-servers";
import a2aAgents from "./0009-a2a-agents";
import partitionedSpendLogs from "./0010-partitioned-spend-logs";
import spendDailyRollups from "./0011-spend-daily-rollups";

export interface Migration {
  /** Increasing; recorded in `routeiq_migrations` once applied. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Every migration, in order. Each is plain SQL in its own numbered file; they are TypeScript
 * modules only so that every bundle (Node, Lambda, Workers) carries them without file access.
 */
export const migrations: readonly Migration[] = Object.freeze([
  { version: 1, name: "keys-teams-users-spend", sql: keysTeamsUsersSpend },
  { version: 2, name: "leases-config-revisions", sql: leasesConfigRevisions },
  { version: 3, name: "artifacts", sql: artifacts },
  { version: 4, name: "proxy-budget", sql: proxyBudget },
  { version: 5, name: "router-feedback", sql: routerFeedback },
  { version: 6, name: "models", sql: models },
  { version: 7, name: "model-audit", sql: modelAudit },
  { version: 8, name: "mcp-servers", sql: mcpServers },
  { version: 9, name: "a2a-agents", sql: a2aAgents },
  { version: 10, name: "partitioned-spend-logs", sql: partitionedSpendLogs },
  { version: 11, name: "spend-daily-rollups", sql: spendDailyRollups },
]);
