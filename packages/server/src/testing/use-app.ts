import { after, before } from "node:test";
import pino from "pino";
import { type BusinessCredentials, createBusinessWithOwner } from "../accounts/bootstrap";
import { buildProvider, ProviderCache } from "../channels/providers";
import type { Clock } from "../clock";
import { dispatchStep } from "../engine/dispatch";
import { type App, buildApp } from "../http/app";
import type { Outbound } from "../outbound/outbound";
import type { Resources } from "../resources";
import type { TestDialect, TestStore } from "./dialects";
import { useStore } from "./use-store";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

/** An in-process app (no port) on a fresh store, with two businesses to test isolation. */
export function useApp(
  dialect: TestDialect,
  options: {
    bodyLimit?: number;
    clock?: () => Clock;
    outbound?: Outbound;
    publicUrl?: string;
    trustProxy?: boolean;
  } = {},
): {
  app: App;
  store: TestStore;
  resources: Resources;
  alpha: BusinessCredentials;
  beta: BusinessCredentials;
} {
  const storeCtx = useStore(dialect, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.outbound ? { outbound: options.outbound } : {}),
  });
  const ctx = {} as {
    app: App;
    store: TestStore;
    resources: Resources;
    alpha: BusinessCredentials;
    beta: BusinessCredentials;
  };
  before(async () => {
    if (dialect.skip) return;
    ctx.store = storeCtx.store;
    ctx.resources = storeCtx.resources;
    ctx.app = await buildApp({
      resources: ctx.resources,
      // JOURNEYS_TEST_LOG=1 prints the app's logs (500s included) while debugging a test.
      ...(process.env.JOURNEYS_TEST_LOG ? { logger: pino({ level: "warn" }) } : {}),
      dispatch: dispatchStep(
        new ProviderCache(buildProvider(ctx.resources.outbound)),
        "http://127.0.0.1:3000",
      ),
      config: {
        adminToken: ADMIN_TOKEN,
        bodyLimit: options.bodyLimit ?? 1_048_576,
        env: "test",
        publicUrl: options.publicUrl ?? "http://127.0.0.1:3000",
        trustProxy: options.trustProxy ?? false,
      },
    });
    ctx.alpha = await createBusinessWithOwner(ctx.resources, {
      name: "Alpha",
      plan: "growth",
      ownerEmail: "owner@alpha.test",
      ownerPassword: "alpha-password-1",
    });
    ctx.beta = await createBusinessWithOwner(ctx.resources, {
      name: "Beta",
      plan: "starter",
      ownerEmail: "owner@beta.test",
      ownerPassword: "beta-password-12",
    });
  });
  after(async () => {
    await ctx.app?.close();
  });
  return ctx;
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
