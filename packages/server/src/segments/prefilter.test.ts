import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ATTRIBUTE_OPS,
  type AttributeOp,
  type Condition,
  DAY_MS,
  evaluate,
  eventConditionKey,
} from "@journeys/core";
import { factsOf, toCustomer } from "../customers/customer";
import { DIALECTS } from "../testing/dialects";
import { type Prng, prng } from "../testing/random";
import { useStore } from "../testing/use-store";
import { counterId } from "./catalog";
import { prefilterSql as postgresPrefilterSql } from "./postgres-prefilter";
import { type Prefilter, prefilterOf } from "./prefilter";
import { prefilterSql as sqlitePrefilterSql } from "./sqlite-prefilter";

/**
 * The prefilter may drop only customers the rule cannot match: for random customers (values of
 * every JSON type, numeric and date strings, integers beyond 2^53, lists, odd keys) and random
 * rules, everyone `evaluate` admits must pass the SQL. It must also drop someone, or it would
 * be no prefilter at all.
 */
const NOW = Date.UTC(2025, 5, 15, 12);
const BUSINESS = "bus_prefilter";
const NAMES = ["plan", "age", "tags", 'we"ird', "email", "userId", "locale"];
/** The built-in attributes of NAMES: columns, not keys of `attributes`. */
const COLUMNS = ["email", "userId", "locale"];
/** Attribute values as JSON text, so integers JavaScript cannot hold exactly can be stored. */
const VALUES = [
  '"pro"',
  '"PRO"',
  '"business"',
  '"42"',
  '"42.0"',
  '"true"',
  '"2024-05-01"',
  '""',
  "42",
  "30",
  "29",
  "30.5",
  "-1",
  "9007199254740993",
  "-9223372036854775808",
  "1e300",
  "true",
  "false",
  "null",
  '["pro", "vip"]',
  "[30]",
  '{"a": 1}',
];
const RULE_VALUES = [
  "pro",
  "PRO",
  "business",
  "42",
  "42.0",
  "true",
  "2024-05-01",
  42,
  30,
  30.5,
  true,
  9007199254740992,
];
const STATUSES = ['"subscribed"', '"unsubscribed"', '"unknown"', "null", "7"];
const EVENTS = ["Bought", "Viewed"];

function randomLeaf(rand: Prng): Condition {
  const kind = rand.int(8);
  if (kind === 0) return { subscribed: rand.pick(["email", "sms"] as const) };
  if (kind === 1) {
    return {
      event: rand.pick(EVENTS),
      op: rand.pick(["atLeast", "atMost", "exactly"] as const),
      count: rand.int(3),
      ...(rand.chance(0.5) ? { withinDays: 1 + rand.int(5) } : {}),
    };
  }
  const attribute = rand.pick(NAMES);
  const op = rand.pick(ATTRIBUTE_OPS) as AttributeOp;
  switch (op) {
    case "exists":
    case "notExists":
    case "anniversaryToday":
      return { attribute, op };
    case "in":
      return { attribute, op, value: [rand.pick(RULE_VALUES), rand.pick(RULE_VALUES)] };
    case "withinLastDays":
      return { attribute, op, value: 1 + rand.int(30) };
    case "startsWith":
      return { attribute, op, value: rand.pick(["p", "4", "t"]) };
    case "gt":
    case "gte":
    case "lt":
    case "lte":
    case "before":
    case "after":
      return { attribute, op, value: rand.pick([42, 30, "30", "2024-05-01", 9007199254740992, "x"]) };
    default:
      return { attribute, op, value: rand.pick(RULE_VALUES) } as Condition;
  }
}

function randomRule(rand: Prng, depth = 0): Condition {
  if (depth >= 2 || rand.chance(0.35)) return randomLeaf(rand);
  const children = Array.from({ length: 1 + rand.int(3) }, () => randomRule(rand, depth + 1));
  const kind = rand.int(5);
  return kind < 2 ? { all: children } : kind < 4 ? { any: children } : { not: children[0]! };
}

for (const dialect of DIALECTS) {
  describe(`[${dialect.name}] segment prefilter`, { skip: dialect.skip }, () => {
    const ctx = useStore(dialect);

    /** Ids of the business's customers that pass the prefilter, in the store's own SQL. */
    async function passing(prefilter: Prefilter): Promise<Set<string>> {
      const store = ctx.store;
      if (store.dialect === "sqlite") {
        const { sql: where, params } = sqlitePrefilterSql(prefilter);
        const ids = store.raw
          .prepare(`select id from customers where business_id = ? and ${where}`)
          .pluck()
          .all(BUSINESS, ...params) as string[];
        return new Set(ids);
      }
      const rows = await store.db
        .selectFrom("customers")
        .select("id")
        .where("business_id", "=", BUSINESS)
        .where(postgresPrefilterSql(prefilter))
        .execute();
      return new Set(rows.map((r) => r.id));
    }

    it("never drops a customer the rule matches, and drops others", async () => {
      const rand = prng(20251129);
      const db = ctx.store.db;
      await db
        .insertInto("businesses")
        .values({ id: BUSINESS, name: "Prefilter", plan: "enterprise", settings: "{}", created_at: NOW })
        .execute();
      const hits = new Map<string, number[]>(); // customer + counter → timestamps
      for (let i = 0; i < 300; i++) {
        const id = `cus_${String(i).padStart(4, "0")}`;
        const pairs = NAMES.filter((n) => !COLUMNS.includes(n) && rand.chance(0.7)).map(
          (n) => `${JSON.stringify(n)}: ${rand.pick(VALUES)}`,
        );
        const channels = ["email", "sms"]
          .filter(() => rand.chance(0.7))
          .map((c) => `"${c}": ${rand.pick(STATUSES)}`);
        await db
          .insertInto("customers")
          .values({
            business_id: BUSINESS,
            id,
            user_id: rand.chance(0.8) ? `user-${i}` : null,
            email: i < 2 ? ["pro", "PRO"][i]! : rand.chance(0.5) ? `c${i}@example.com` : null,
            phone: null,
            timezone: null,
            locale: rand.pick(["de-DE", "pro", "42", null]),
            attributes: `{${pairs.join(", ")}}`,
            subscriptions: `{"channels": {${channels.join(", ")}}}`,
            addresses: "{}",
            created_at: NOW,
            updated_at: NOW,
          })
          .execute();
        for (const event of EVENTS) {
          const counter = counterId(eventConditionKey({ event }));
          const times = Array.from({ length: rand.int(3) }, (_, k) => NOW - rand.int(8) * DAY_MS - k);
          for (const [k, at] of times.entries()) {
            await db
              .insertInto("event_hits")
              .values({
                business_id: BUSINESS,
                customer_id: id,
                counter,
                timestamp: at,
                event_id: `evt_${i}_${event}_${k}`,
              })
              .execute();
          }
          hits.set(`${id} ${counter}`, times);
        }
      }
      const customers = (
        await db.selectFrom("customers").selectAll().where("business_id", "=", BUSINESS).execute()
      ).map(toCustomer);

      let dropped = 0;
      for (let n = 0; n < 400; n++) {
        const rule = randomRule(rand);
        const emailOptOut = rand.chance(0.3);
        const prefilter = prefilterOf(rule, {
          emailOptOut,
          now: NOW,
          counter: (condition) => counterId(eventConditionKey(condition)),
        });
        if (prefilter === null) continue;
        const passed = await passing(prefilter);
        for (const customer of customers) {
          const matches = evaluate(
            rule,
            factsOf(customer),
            {
              countEvents: (key, since) =>
                (hits.get(`${customer.id} ${counterId(key)}`) ?? []).filter(
                  (t) => since === null || t >= since,
                ).length,
              isMember: (id) => id.length % 2 === 0,
              emailOptOut,
            },
            NOW,
          );
          if (matches) {
            assert.ok(
              passed.has(customer.id),
              `dropped ${customer.id} (${JSON.stringify(customer.attributes)}) that matches ${JSON.stringify(rule)}`,
            );
          }
        }
        dropped += customers.length - passed.size;
      }
      assert.ok(dropped > 0, "the prefilter never dropped anyone");
    });
  });
}
