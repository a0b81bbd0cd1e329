import { resolve } from "node:path";

/**
 * Configuration comes from the environment only, validated once at start: a wrong value stops
 * the process with a message naming the variable, instead of failing later somewhere else.
 * The README lists every variable; keep the two in step.
 */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  adminToken: string | undefined;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  env: "production" | "development" | "test";
  clock: "system" | "manual";
  /** Largest management-API request body, bytes. */
  bodyLimit: number;
  /** Where the server is reachable from the internet (unsubscribe links in emails). */
  publicUrl: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
const ENVS = ["production", "development", "test"] as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];

  const port = integer(env.PORT, 3000);
  if (port === null || port < 0 || port > 65_535)
    problems.push(`PORT must be a port number, got "${env.PORT}"`);

  const host = env.HOST?.trim() || "127.0.0.1";

  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push("DATABASE_URL must start with postgres:// (leave it unset for the embedded SQLite file)");
  }

  const adminToken = env.JOURNEYS_ADMIN_TOKEN?.trim() || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    problems.push("JOURNEYS_ADMIN_TOKEN must be at least 16 characters");
  }

  const logLevel = (env.LOG_LEVEL?.trim() || "info") as Config["logLevel"];
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);

  const runEnv = (env.JOURNEYS_ENV?.trim() || "production") as Config["env"];
  if (!ENVS.includes(runEnv)) problems.push(`JOURNEYS_ENV must be one of ${ENVS.join(", ")}`);

  const clock = (env.JOURNEYS_CLOCK?.trim() || "system") as Config["clock"];
  if (clock !== "system" && clock !== "manual") problems.push('JOURNEYS_CLOCK must be "system" or "manual"');
  if (clock === "manual" && runEnv !== "test") {
    problems.push(
      "JOURNEYS_CLOCK=manual is only allowed with JOURNEYS_ENV=test (time travel is a test tool)",
    );
  }

  const bodyLimit = integer(env.JOURNEYS_BODY_LIMIT, 1_048_576);
  if (bodyLimit === null || bodyLimit < 1024)
    problems.push("JOURNEYS_BODY_LIMIT must be a whole number of bytes ≥ 1024");

  const publicUrl = (env.JOURNEYS_PUBLIC_URL?.trim() || `http://${host}:${port ?? 3000}`).replace(/\/+$/, "");
  if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(publicUrl)) {
    problems.push(
      "JOURNEYS_PUBLIC_URL must be an http(s) URL without query, e.g. https://journeys.example.com",
    );
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host,
    port: port ?? 3000,
    dataDir: resolve(env.JOURNEYS_DATA_DIR?.trim() || "data"),
    databaseUrl,
    adminToken,
    logLevel,
    env: runEnv,
    clock,
    bodyLimit: bodyLimit ?? 1_048_576,
    publicUrl,
  };
}

function integer(raw: string | undefined, fallback: number): number | null {
  if (raw === undefined || raw.trim() === "") return fallback;
  return /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : null;
}
