import { parseArgs } from "node:util";
import { createBusinessWithOwner } from "../accounts/bootstrap";
import { changePlan, listBusinesses } from "../accounts/businesses";
import { loadSecretKey, SecretBox } from "../channels/secret-box";
import { systemClock } from "../clock";
import { ConfigError, loadConfig } from "../config";
import { JourneysError } from "../errors";
import { newId } from "../ids";
import { Outbound } from "../outbound/outbound";
import type { Resources } from "../resources";
import { SegmentCatalogs } from "../segments/catalog";
import { migrateStore, openStore } from "../store/open-store";
import { RenderThreads } from "../templates/render-threads";
import { runRoles } from "./run";

const USAGE: Record<string, string> = {
  journeys: `Usage: journeys <command> [options]

Commands:
  start     API + worker + UI in one process (the embedded default: a SQLite file under ./data)
  api       the HTTP API and UI only (scale out: many of these on one PostgreSQL)
  worker    background work only (scale out: many of these on one PostgreSQL)
  migrate   apply pending database migrations and exit
  admin     create and list businesses (run "journeys admin --help")

Configuration comes from environment variables: see the README.
Run "journeys <command> --help" for a command's options.`,
  start: `Usage: journeys start [--no-demo]

Starts API, worker and UI in one process. On an empty database it first creates a demo
business on the Growth plan and prints its owner's sign-in and keys (--no-demo skips that).`,
  api: "Usage: journeys api\n\nRuns the HTTP API and UI without the worker.",
  worker: `Usage: journeys worker

Runs background work without the API. It listens on HOST:JOURNEYS_WORKER_PORT (default 3001)
for /healthz, /readyz and /metrics only.`,
  migrate: "Usage: journeys migrate\n\nApplies pending migrations to the configured store and exits.",
  admin: `Usage: journeys admin <subcommand>

  create-business --name NAME --plan PLAN --owner-email EMAIL [--owner-password PW] [--json]
      Creates a business, its owner, a secret API key and a write key. Keys and password are
      printed once. PLAN is starter | lite | growth | business | enterprise.
  list-businesses [--json]
  set-plan --business ID --plan PLAN`,
};

async function main(argv: string[]): Promise<number> {
  const [command = "help", ...rest] = argv;
  if (command === "help" || command === "--help" || command === "-h") return print(USAGE.journeys!);
  if (!(command in USAGE)) {
    process.stderr.write(`unknown command "${command}"\n\n${USAGE.journeys}\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) return print(USAGE[command]!);
  const config = loadConfig();

  switch (command) {
    case "start": {
      const { values } = parseArgs({ args: rest, options: { "no-demo": { type: "boolean" } } });
      await runRoles(config, ["api", "worker"], { demo: !values["no-demo"] });
      return -1;
    }
    case "api":
      parseArgs({ args: rest, options: {} });
      await runRoles(config, ["api"], { demo: false });
      return -1;
    case "worker":
      parseArgs({ args: rest, options: {} });
      await runRoles(config, ["worker"], { demo: false });
      return -1;
    case "migrate": {
      parseArgs({ args: rest, options: {} });
      const storeConfig = { databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false };
      const store = await openStore(storeConfig);
      const report = await migrateStore(store, storeConfig).finally(() => store.close());
      return print(
        report.applied.length
          ? `applied ${report.applied.join(", ")} to ${store.location}`
          : `${store.location} is up to date (${report.current})`,
      );
    }
    default:
      return admin(config, rest);
  }
}

async function admin(config: ReturnType<typeof loadConfig>, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: "string" },
      plan: { type: "string" },
      "owner-email": { type: "string" },
      "owner-password": { type: "string" },
      business: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const r: Resources = {
    store,
    clock: systemClock,
    newId,
    catalogs: new SegmentCatalogs(),
    outbound: new Outbound({ allowPrivateNetwork: config.allowPrivateNetwork }),
    renderer: new RenderThreads(),
    secrets: new SecretBox(loadSecretKey(config)),
  };
  try {
    switch (sub) {
      case "create-business": {
        const missing = (["name", "plan", "owner-email"] as const).filter((k) => !values[k]);
        if (missing.length) throw usage(`missing ${missing.map((k) => `--${k}`).join(", ")}`);
        const created = await createBusinessWithOwner(r, {
          name: values.name!,
          plan: values.plan!,
          ownerEmail: values["owner-email"]!,
          ...(values["owner-password"] ? { ownerPassword: values["owner-password"] } : {}),
        });
        return print(
          values.json
            ? JSON.stringify(created)
            : Object.entries(created)
                .map(([k, v]) => `${k.padEnd(14)} ${v}`)
                .join("\n"),
        );
      }
      case "list-businesses": {
        const businesses = await listBusinesses(r);
        return print(
          values.json
            ? JSON.stringify(businesses)
            : businesses.map((b) => `${b.id}  ${b.plan.padEnd(10)}  ${b.name}`).join("\n") || "no businesses",
        );
      }
      case "set-plan": {
        if (!values.business || !values.plan) throw usage("set-plan needs --business and --plan");
        const business = await changePlan(r, values.business, values.plan);
        return print(`${business.id} is now on ${business.plan}`);
      }
      default:
        throw usage(sub ? `unknown admin subcommand "${sub}"` : "admin needs a subcommand");
    }
  } finally {
    await store.close();
  }
}

class UsageError extends Error {}
const usage = (message: string) => new UsageError(`${message}\n\n${USAGE.admin}`);

function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof UsageError) {
      process.stderr.write(`journeys: ${error.message}\n`);
      process.exitCode = 2;
    } else if (error instanceof JourneysError) {
      process.stderr.write(`journeys: ${error.message} (${error.code})\n`);
      process.exitCode = 1;
    } else if (
      error instanceof TypeError &&
      "code" in error &&
      String(error.code).startsWith("ERR_PARSE_ARGS")
    ) {
      process.stderr.write(`journeys: ${error.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(
        `journeys: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  },
);
