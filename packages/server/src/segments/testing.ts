/**
 * Helpers shared by this folder's tests: management API calls with a business's secret key,
 * Segment-spec ingestion with its write key, and the membership log as [customer, change].
 *
 * @example
 *   const seg = await api(ctx, ctx.alpha, "POST", "/segments", { name: "Pro", rule }).then(ok(201));
 */
import assert from "node:assert/strict";
import type { LightMyRequestResponse } from "fastify";
import type { BusinessCredentials } from "../accounts/bootstrap";
import type { App } from "../http/app";
import type { Store } from "../store/store";

interface Ctx {
  app: App;
  store: Store;
}

export function api(
  ctx: Ctx,
  business: BusinessCredentials,
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  payload?: unknown,
  contentType?: string,
): Promise<LightMyRequestResponse> {
  return ctx.app.inject({
    method,
    url: `/api/v1/businesses/${business.businessId}${path}`,
    headers: {
      authorization: `Bearer ${business.apiKey}`,
      ...(contentType ? { "content-type": contentType } : {}),
    },
    ...(payload === undefined ? {} : { payload: payload as string }),
  });
}

/** Asserts the status and returns the JSON body. */
export const expect =
  (status: number) =>
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are read loosely
  (res: LightMyRequestResponse): any => {
    assert.equal(res.statusCode, status, res.body);
    return res.body ? res.json() : undefined;
  };

let messages = 0;

/** Sends Segment-spec messages through /v1/batch and asserts they were all accepted. */
export async function send(ctx: Ctx, business: BusinessCredentials, ...batch: object[]): Promise<void> {
  const res = await ctx.app.inject({
    method: "POST",
    url: "/v1/batch",
    headers: { authorization: `Basic ${Buffer.from(`${business.writeKey}:`).toString("base64")}` },
    payload: { batch: batch.map((m) => ({ messageId: `seg-test-${++messages}`, ...m })) },
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json().rejected, []);
}

export const identify = (userId: string, traits: object, extra: object = {}) => ({
  type: "identify",
  userId,
  traits,
  ...extra,
});

export const track = (userId: string, event: string, properties: object = {}, extra: object = {}) => ({
  type: "track",
  userId,
  event,
  properties,
  ...extra,
});

/** The customer id behind a userId. */
export async function customerId(ctx: Ctx, business: BusinessCredentials, userId: string): Promise<string> {
  const row = await ctx.store.db
    .selectFrom("customers")
    .select("id")
    .where("business_id", "=", business.businessId)
    .where("user_id", "=", userId)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** userIds of a segment's members, sorted. */
export async function memberUserIds(
  ctx: Ctx,
  business: BusinessCredentials,
  segmentId: string,
): Promise<string[]> {
  const rows = await ctx.store.db
    .selectFrom("segment_members as m")
    .innerJoin("customers as c", (j) =>
      j.onRef("c.business_id", "=", "m.business_id").onRef("c.id", "=", "m.customer_id"),
    )
    .select("c.user_id")
    .where("m.business_id", "=", business.businessId)
    .where("m.segment_id", "=", segmentId)
    .execute();
  return rows.map((r) => r.user_id ?? "").sort();
}

/** The membership log of a segment as [userId, change, at], in order. */
export async function membershipLog(
  ctx: Ctx,
  business: BusinessCredentials,
  segmentId: string,
): Promise<[string, string, number][]> {
  const rows = await ctx.store.db
    .selectFrom("membership_events as e")
    .innerJoin("customers as c", (j) =>
      j.onRef("c.business_id", "=", "e.business_id").onRef("c.id", "=", "e.customer_id"),
    )
    .select(["c.user_id", "e.change", "e.at"])
    .where("e.business_id", "=", business.businessId)
    .where("e.segment_id", "=", segmentId)
    .orderBy("e.seq")
    .execute();
  return rows.map((r) => [r.user_id ?? "", r.change, Number(r.at)]);
}
