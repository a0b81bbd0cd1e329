import { isIP } from "node:net";
import { resolve } from "node:path";

/**
 * Configuration comes from the environment only, validated once at start: a wrong value stops
 * the process with a message naming the variable, instead of failing later somewhere else.
 * The README lists every variable; keep the two in step.
 */
export interface Config {
  host: string;
  port: number;
  /** The worker role's own listener for /healthz, /readyz and /metrics (it serves no API). */
  workerPort: number;
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
  /**
   * Outbound connections a tenant's set-up names (SMTP hosts, provider URLs) may reach loopback,
   * private and link-local addresses. Off by default: it would let a tenant probe the network
   * the server runs in (SSRF).
   */
  allowPrivateNetwork: boolean;
  /**
   * Encrypts channel secrets at rest (JOURNEYS_SECRET_KEY, ≥ 32 characters). Required with
   * DATABASE_URL, since every process must share it; on the embedded default it is generated
   * into the data folder when unset (channels/secret-box.ts).
   */
  secretKey: string | undefined;
  /** Trust X-Forwarded-Proto / -For from the proxy in front (JOURNEYS_TRUST_PROXY). */
  trustProxy: boolean;
  /** What does not stop the process but an operator must hear about: logged once at start. */
  warnings: string[];
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

  const workerPort = integer(env.JOURNEYS_WORKER_PORT, 3001);
  if (workerPort === null || workerPort > 65_535)
    problems.push(`JOURNEYS_WORKER_PORT must be a port number, got "${env.JOURNEYS_WORKER_PORT}"`);

  const host = env.HOST?.trim() || "127.0.0.1";
  const hostOk = isIP(host) !== 0 || HOST_NAME.test(host);
  if (!hostOk) problems.push(`HOST must be an IP address or a host name, got "${env.HOST}"`);

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

  const explicitUrl = env.JOURNEYS_PUBLIC_URL?.trim() || undefined;
  const publicUrl = (explicitUrl ?? `http://${urlHost(host)}:${port ?? 3000}`).replace(/\/+$/, "");
  const publicUrlOk = /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(publicUrl);
  if (explicitUrl === undefined && hostOk && isWildcard(host)) {
    // Derived from a wildcard, unsubscribe links in emails would point at http://0.0.0.0:3000.
    problems.push(
      `JOURNEYS_PUBLIC_URL must be set when HOST is a wildcard address (${host}): ` +
        "emails link to it, e.g. https://journeys.example.com",
    );
  } else if ((explicitUrl !== undefined || hostOk) && !publicUrlOk) {
    // A derived URL is only checked when HOST is valid: a bad HOST is HOST's problem.
    problems.push(
      "JOURNEYS_PUBLIC_URL must be an http(s) URL without query, e.g. https://journeys.example.com",
    );
  }

  // Production emails need links recipients can open, over HTTPS (RFC 8058 one-click).
  // Without JOURNEYS_PUBLIC_URL the local address is used so that a first `npm start` works
  // with no set-up; plain http is refused only where it would reach other machines.
  const warnings: string[] = [];
  if (runEnv === "production" && explicitUrl === undefined && hostOk && !isWildcard(host)) {
    warnings.push(
      `JOURNEYS_PUBLIC_URL is not set: unsubscribe links in emails point at this server's own address ${publicUrl}, ` +
        "which recipients cannot open; set it to the server's public https URL, e.g. https://journeys.example.com",
    );
  } else if (runEnv === "production" && explicitUrl !== undefined && publicUrlOk) {
    const url = URL.canParse(publicUrl) ? new URL(publicUrl) : null;
    if (url?.protocol === "http:" && !isLoopback(url.hostname)) {
      problems.push(
        `JOURNEYS_PUBLIC_URL must be an https URL in production (unsubscribe links and one-click ` +
          `unsubscribe need HTTPS), got "${explicitUrl}"; plain http is for a loopback host or JOURNEYS_ENV=development`,
      );
    }
  }

  const allowPrivateNetwork = flag(env.JOURNEYS_ALLOW_PRIVATE_NETWORK);
  if (allowPrivateNetwork === null) problems.push('JOURNEYS_ALLOW_PRIVATE_NETWORK must be "true" or "false"');
  const secretKey = env.JOURNEYS_SECRET_KEY?.trim() || undefined;
  if (secretKey !== undefined && secretKey.length < 32)
    problems.push(`JOURNEYS_SECRET_KEY must have at least 32 characters (it has ${secretKey.length})`);
  // (A DATABASE_URL that is no PostgreSQL URL is its own problem, reported above.)
  else if (secretKey === undefined && databaseUrl !== undefined && /^postgres(ql)?:\/\//.test(databaseUrl))
    problems.push(
      "JOURNEYS_SECRET_KEY must be set when DATABASE_URL is set: it encrypts channel secrets, and every " +
        "API and worker process on the database must share it (at least 32 characters, e.g. `openssl rand -base64 32`)",
    );
  const trustProxy = flag(env.JOURNEYS_TRUST_PROXY);
  if (trustProxy === null) problems.push('JOURNEYS_TRUST_PROXY must be "true" or "false"');

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host,
    port: port ?? 3000,
    workerPort: workerPort ?? 3001,
    dataDir: resolve(env.JOURNEYS_DATA_DIR?.trim() || "data"),
    databaseUrl,
    adminToken,
    logLevel,
    env: runEnv,
    clock,
    bodyLimit: bodyLimit ?? 1_048_576,
    publicUrl,
    allowPrivateNetwork: allowPrivateNetwork ?? false,
    secretKey,
    trustProxy: trustProxy ?? false,
    warnings,
  };
}

/** "true" / "false" (any case), false when unset, null for anything else. */
function flag(value: string | undefined): boolean | null {
  const text = value?.trim().toLowerCase() || "false";
  return text === "true" ? true : text === "false" ? false : null;
}

/** RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** 0.0.0.0 or :: (in any spelling): listens everywhere, so it is no address to link to. */
export function isWildcard(host: string): boolean {
  if (isIP(host) === 4) return host.split(".").every((part) => Number(part) === 0);
  if (isIP(host) !== 6) return false;
  // The URL parser writes an IPv6 address in its shortest form; a zone id (fe80::1%eth0) it refuses.
  return URL.canParse(`http://[${host}]`) && new URL(`http://[${host}]`).hostname === "[::]";
}

/** localhost, 127.0.0.0/8 or ::1 (a URL's hostname, IPv6 in brackets): this machine only. */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.split(".")[0] === "127";
  return isIP(h) === 6 && new URL(`http://[${h}]`).hostname === "[::1]";
}

/** HOST as it appears in a URL: IPv6 addresses in brackets. */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

function integer(raw: string | undefined, fallback: number): number | null {
  if (raw === undefined || raw.trim() === "") return fallback;
  return /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : null;
}
