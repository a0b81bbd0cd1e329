import type { Condition } from "@journeys/core";
import { prng } from "../../packages/server/src/testing/random";

/** 20 segments of the kinds marketers build: attributes, event counts with windows and filters, consent, nesting. */
export const SEGMENTS: { name: string; rule: Condition }[] = [
  { name: "Pro plan", rule: { attribute: "plan", op: "eq", value: "pro" } },
  { name: "Free plan", rule: { attribute: "plan", op: "eq", value: "free" } },
  { name: "Germany", rule: { attribute: "country", op: "eq", value: "DE" } },
  { name: "Adults", rule: { attribute: "age", op: "gte", value: 18 } },
  { name: "Has email", rule: { attribute: "email", op: "exists" } },
  { name: "Browsers", rule: { event: "Product Viewed", op: "atLeast", count: 3, withinDays: 7 } },
  { name: "Buyers", rule: { event: "Order Completed", op: "atLeast", count: 1, withinDays: 30 } },
  {
    name: "Big spenders",
    rule: {
      event: "Order Completed",
      op: "atLeast",
      count: 1,
      where: [{ property: "total", op: "gt", value: 100 }],
    },
  },
  {
    name: "Cart abandoners",
    rule: {
      all: [
        { event: "Added to Cart", op: "atLeast", count: 1, withinDays: 1 },
        { event: "Order Completed", op: "atMost", count: 0, withinDays: 1 },
      ],
    },
  },
  {
    name: "Shoe viewers",
    rule: {
      event: "Product Viewed",
      op: "atLeast",
      count: 1,
      where: [{ property: "category", op: "eq", value: "shoes" }],
    },
  },
  { name: "Never bought", rule: { event: "Order Completed", op: "atMost", count: 0 } },
  { name: "Frequent", rule: { event: "Page Viewed", op: "atLeast", count: 10, withinDays: 30 } },
  { name: "Email subscribers", rule: { subscribed: "email" } },
  { name: "SMS subscribers", rule: { subscribed: "sms" } },
  {
    name: "Pro in Germany",
    rule: {
      all: [
        { attribute: "plan", op: "eq", value: "pro" },
        { attribute: "country", op: "eq", value: "DE" },
      ],
    },
  },
  {
    name: "Pro or buyer",
    rule: {
      any: [
        { attribute: "plan", op: "eq", value: "pro" },
        { event: "Order Completed", op: "atLeast", count: 1 },
      ],
    },
  },
  { name: "Not free", rule: { not: { attribute: "plan", op: "eq", value: "free" } } },
  { name: "Name starts A", rule: { attribute: "name", op: "startsWith", value: "a" } },
  {
    name: "Young browsers",
    rule: {
      all: [
        { attribute: "age", op: "lt", value: 30 },
        { event: "Product Viewed", op: "atLeast", count: 2 },
      ],
    },
  },
  { name: "Recent signup", rule: { attribute: "signedUpAt", op: "withinLastDays", value: 14 } },
];

const EVENTS = [
  "Product Viewed",
  "Product Viewed",
  "Page Viewed",
  "Page Viewed",
  "Added to Cart",
  "Order Completed",
];
const CATEGORIES = ["shoes", "shirts", "hats"];

/** A deterministic stream of Segment messages: 90% track, 10% identify, over `customers` users. */
export function messages(count: number, customers: number, salt: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  // mulberry32: the linear congruential generator used before lost precision beyond 2^53 and
  // cycled, so the stream reached only 5,577 of 20,000 customers.
  const rand = prng(42).next;
  for (let i = 0; i < count; i++) {
    const userId = `user-${Math.floor(rand() * customers)}`;
    const messageId = `${salt}-${i}`;
    if (i % 10 === 0) {
      out.push({
        type: "identify",
        userId,
        messageId,
        traits: {
          email: `${userId}@example.com`,
          plan: rand() < 0.3 ? "pro" : "free",
          country: rand() < 0.5 ? "DE" : "FR",
          age: 16 + Math.floor(rand() * 50),
          name: rand() < 0.5 ? "ada" : "bob",
          subscriptions: { email: rand() < 0.7 ? "subscribed" : "unsubscribed" },
        },
      });
    } else {
      const event = EVENTS[Math.floor(rand() * EVENTS.length)]!;
      out.push({
        type: "track",
        userId,
        messageId,
        event,
        properties: {
          category: CATEGORIES[Math.floor(rand() * 3)],
          total: Math.floor(rand() * 200),
          sku: `SKU-${i % 997}`,
        },
      });
    }
  }
  return out;
}
