import { after, before } from "node:test";
import { type BusinessCredentials, createBusinessWithOwner } from "../accounts/bootstrap";
import { type App, buildApp } from "../http/app";
import type { Resources } from "../resources";
import type { TestDialect, TestStore } from "./dialects";
import { useStore } from "./use-store";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

/** An in-process app (no port) on a fresh store, with two businesses to test isolation. */
export function useApp(
  dialect: TestDialect,
  options: { bodyLimit?: number } = {},
): {
  app: App;
  store: TestStore;
  resources: Resources;
  alpha: BusinessCredentials;
  beta: BusinessCredentials;
} {
  const storeCtx = useStore(dialect);
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
      config: { adminToken: ADMIN_TOKEN, bodyLimit: options.bodyLimit ?? 1_048_576, env: "test" },
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
