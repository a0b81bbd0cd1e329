import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EventCondition, WhereFilter } from "./condition";
import { evaluate } from "./evaluate";
import { eventConditionKey, eventMatches } from "./events";
import { customer, lookups, NOW } from "./testing";

const DAY = 86_400_000;
const pro: WhereFilter = { property: "plan", op: "eq", value: "pro" };
const big: WhereFilter = { property: "total", op: "gte", value: 100 };

/** A customer's events as (timestamp, name, properties), counted the way a store would. */
function store(events: [number, string, Record<string, unknown>][], conditions: EventCondition[]) {
  const selectors = new Map(conditions.map((c) => [eventConditionKey(c), c]));
  const asked: [string, number | null][] = [];
  const countEvents = (key: string, since: number | null) => {
    asked.push([key, since]);
    const selector = selectors.get(key);
    assert.ok(selector, `asked for a counter no condition has: ${key}`);
    return events.filter(
      ([at, name, properties]) =>
        (since === null || at >= since) && eventMatches(selector, { name, properties }),
    ).length;
  };
  return { ctx: lookups({ countEvents }), asked };
}

describe("eventConditionKey", () => {
  it("is the same whatever order the filters are in, and ignores op, count and window", () => {
    const a = eventConditionKey({ event: "Purchased", where: [pro, big] });
    const b = eventConditionKey({ event: "Purchased", where: [big, pro, big] });
    assert.equal(a, b);
    const cond: EventCondition = {
      event: "Purchased",
      op: "atMost",
      count: 0,
      withinDays: 3,
      where: [big, pro],
    };
    assert.equal(eventConditionKey(cond), a);
    assert.equal(
      eventConditionKey({ event: "Purchased", where: [] }),
      eventConditionKey({ event: "Purchased" }),
    );
  });

  it("sorts and de-duplicates in-lists, whose order means nothing", () => {
    const one = eventConditionKey({
      event: "E",
      where: [{ property: "c", op: "in", value: ["b", "a", "b"] }],
    });
    const two = eventConditionKey({ event: "E", where: [{ property: "c", op: "in", value: ["a", "b"] }] });
    assert.equal(one, two);
  });

  it("tells apart selectors that count different events", () => {
    const keys = [
      eventConditionKey({ event: "Purchased" }),
      eventConditionKey({ event: "purchased" }),
      eventConditionKey({ event: "Purchased", where: [pro] }),
      eventConditionKey({ event: "Purchased", where: [{ ...pro, op: "neq" }] }),
      eventConditionKey({ event: "Purchased", where: [{ ...pro, value: "basic" }] }),
      eventConditionKey({ event: "Purchased", where: [{ property: "plan", op: "exists" }] }),
      eventConditionKey({ event: "Purchased", where: [{ property: "plan", op: "eq", value: 1 }] }),
      eventConditionKey({ event: "Purchased", where: [{ property: "plan", op: "eq", value: "1" }] }),
      // Names and values containing the separators JSON uses must not collide.
      eventConditionKey({ event: 'P",[["plan' }),
    ];
    assert.equal(new Set(keys).size, keys.length);
    assert.equal(
      eventConditionKey({ event: "Purchased", where: [pro] }),
      '["Purchased",[["plan","eq","pro"]]]',
    );
  });
});

describe("eventMatches", () => {
  it("needs the exact name and every filter to pass", () => {
    const selector = { event: "Purchased", where: [pro, big] };
    assert.equal(
      eventMatches(selector, { name: "Purchased", properties: { plan: "pro", total: "150" } }),
      true,
    );
    assert.equal(
      eventMatches(selector, { name: "purchased", properties: { plan: "pro", total: 150 } }),
      false,
    );
    assert.equal(
      eventMatches(selector, { name: "Purchased", properties: { plan: "pro", total: 99 } }),
      false,
    );
    assert.equal(eventMatches(selector, { name: "Purchased", properties: { total: 150 } }), false);
    assert.equal(eventMatches({ event: "Purchased" }, { name: "Purchased", properties: {} }), true);
  });

  it("treats a missing property like a missing attribute", () => {
    const noCoupon = { event: "Purchased", where: [{ property: "coupon", op: "notExists" as const }] };
    assert.equal(eventMatches(noCoupon, { name: "Purchased", properties: {} }), true);
    assert.equal(eventMatches(noCoupon, { name: "Purchased", properties: { coupon: "X" } }), false);
    const notGift = { event: "Purchased", where: [{ property: "kind", op: "neq" as const, value: "gift" }] };
    assert.equal(eventMatches(notGift, { name: "Purchased", properties: {} }), true);
    const hasCtor = { event: "E", where: [{ property: "constructor", op: "exists" as const }] };
    assert.equal(eventMatches(hasCtor, { name: "E", properties: {} }), false);
  });

  it("reads a dotted property as a path into nested objects, unless a property has that name", () => {
    const shoes = {
      event: "Viewed",
      where: [{ property: "product.category", op: "eq" as const, value: "shoes" }],
    };
    assert.equal(
      eventMatches(shoes, { name: "Viewed", properties: { product: { category: "shoes" } } }),
      true,
    );
    assert.equal(
      eventMatches(shoes, { name: "Viewed", properties: { product: { category: "hats" } } }),
      false,
    );
    assert.equal(eventMatches(shoes, { name: "Viewed", properties: { "product.category": "shoes" } }), true);
    assert.equal(
      eventMatches(shoes, {
        name: "Viewed",
        properties: { "product.category": "hats", product: { category: "shoes" } },
      }),
      false,
      "a property named with the dots wins",
    );
    const first = {
      event: "Bought",
      where: [{ property: "products.0.sku", op: "eq" as const, value: "A1" }],
    };
    assert.equal(eventMatches(first, { name: "Bought", properties: { products: [{ sku: "A1" }] } }), true);
    const proto = { event: "E", where: [{ property: "a.constructor", op: "exists" as const }] };
    assert.equal(eventMatches(proto, { name: "E", properties: { a: {} } }), false);
  });
});

describe("event conditions", () => {
  const events: [number, string, Record<string, unknown>][] = [
    [NOW - 40 * DAY, "Purchased", { plan: "pro" }],
    [NOW - 10 * DAY, "Purchased", { plan: "basic" }],
    [NOW - 2 * DAY, "Purchased", { plan: "pro" }],
    [NOW - 1 * DAY, "Viewed", {}],
  ];

  function check(condition: EventCondition): boolean {
    return evaluate(condition, customer(), store(events, [condition]).ctx, NOW);
  }

  it("counts ever without withinDays, and since now − N days with it", () => {
    const purchased = { event: "Purchased", count: 3 } as const;
    assert.equal(check({ ...purchased, op: "atLeast" }), true);
    assert.equal(check({ ...purchased, op: "atLeast", withinDays: 30 }), false);
    assert.equal(check({ ...purchased, op: "exactly", count: 2, withinDays: 30 }), true);
    assert.equal(check({ ...purchased, op: "exactly", count: 1, withinDays: 2 }), true, "boundary included");
    const { ctx, asked } = store(events, [{ ...purchased, op: "atLeast", withinDays: 2 }]);
    evaluate({ ...purchased, op: "atLeast", withinDays: 2 }, customer(), ctx, NOW);
    assert.deepEqual(asked, [['["Purchased",[]]', NOW - 2 * DAY]]);
  });

  it("applies where filters through the counter key", () => {
    assert.equal(check({ event: "Purchased", op: "exactly", count: 2, where: [pro] }), true);
    assert.equal(check({ event: "Purchased", op: "exactly", count: 1, withinDays: 30, where: [pro] }), true);
  });

  it("atMost 0 means the event was not performed", () => {
    assert.equal(check({ event: "Cancelled", op: "atMost", count: 0 }), true);
    assert.equal(check({ event: "Viewed", op: "atMost", count: 0 }), false);
    assert.equal(check({ event: "Viewed", op: "atMost", count: 0, withinDays: 0.5 }), true);
    assert.equal(check({ event: "Purchased", op: "atMost", count: 1, withinDays: 30 }), false);
  });
});
