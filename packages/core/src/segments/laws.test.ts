/**
 * Property tests: the algebra of rules, and the contract incremental membership relies on —
 * a change to anything `dependencies(rule)` does not list never changes `evaluate(rule)`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  BUILT_IN_ATTRIBUTES,
  CHANNELS,
  type Channel,
  type Condition,
  type ValueTest,
  type WhereFilter,
} from "./condition";
import { dependencies } from "./dependencies";
import { type CustomerFacts, type EvaluationContext, evaluate, type SubscriptionStatus } from "./evaluate";
import { eventConditionKey } from "./events";
import { parseCondition } from "./parse";
import { NOW } from "./testing";

const DAY = 86_400_000;
const CUSTOM = ["plan", "age", "tags", "signup", "birthday"];
const BUILT_IN: readonly string[] = BUILT_IN_ATTRIBUTES;
const NAMES = [...BUILT_IN, ...CUSTOM];
const ZONES = [null, "UTC", "Pacific/Auckland", "America/Los_Angeles", "Nowhere/Atlantis"];

const text = fc.constantFrom("pro", "Pro", "basic", "", "ada@example.com", "+44 7700", "10", "2024-06-10");
const scalar = fc.oneof(text, fc.constantFrom(0, 1, 10, -2.5), fc.boolean());
const date = fc.oneof(
  fc.constantFrom("2024-06-10", "2000-06-15", "2000-02-29", "2024-06-15T11:00:00+01:00"),
  fc.integer({ min: -3 * DAY, max: DAY }).map((offset) => NOW + offset),
);
/** What a customer field may hold: scalars, dates, lists, or nothing. */
const fieldValue = fc.oneof(
  scalar,
  date,
  fc.array(scalar, { maxLength: 3 }),
  fc.constant(null),
  fc.constant(undefined),
);

const valueTest: fc.Arbitrary<ValueTest> = fc.oneof(
  fc.constantFrom("exists", "notExists", "anniversaryToday").map((op) => ({ op }) as ValueTest),
  fc
    .tuple(fc.constantFrom("eq", "neq", "contains"), scalar)
    .map(([op, value]) => ({ op, value }) as ValueTest),
  text.map((value) => ({ op: "startsWith", value }) as const),
  fc
    .tuple(fc.constantFrom("gt", "gte", "lt", "lte"), fc.oneof(fc.constantFrom(0, 5, "10", "2024-06-01")))
    .map(([op, value]) => ({ op, value }) as ValueTest),
  fc.array(scalar, { minLength: 1, maxLength: 3 }).map((value) => ({ op: "in", value }) as const),
  fc.tuple(fc.constantFrom("before", "after"), date).map(([op, value]) => ({ op, value }) as ValueTest),
  fc.constantFrom(0.5, 1, 7).map((value) => ({ op: "withinLastDays", value }) as const),
);

const whereFilter: fc.Arbitrary<WhereFilter> = fc
  .tuple(fc.constantFrom("plan", "total"), valueTest)
  .filter(([, test]) => !["before", "after", "withinLastDays", "anniversaryToday"].includes(test.op))
  .map(([property, test]) => ({ property, ...test }) as WhereFilter);

const leaf: fc.Arbitrary<Condition> = fc.oneof(
  fc
    .tuple(fc.constantFrom(...NAMES), valueTest)
    .map(([attribute, test]) => ({ attribute, ...test }) as Condition),
  fc.record(
    {
      event: fc.constantFrom("Purchased", "Viewed"),
      op: fc.constantFrom("atLeast", "atMost", "exactly"),
      count: fc.nat({ max: 3 }),
      withinDays: fc.constantFrom(1, 7, 30),
      where: fc.array(whereFilter, { maxLength: 2 }),
    },
    { requiredKeys: ["event", "op", "count"] },
  ),
  fc.constantFrom(...CHANNELS).map((subscribed) => ({ subscribed })),
  fc.constantFrom("seg_a", "seg_b", "seg_c").map((inSegment) => ({ inSegment })),
);

const { condition } = fc.letrec<{ condition: Condition }>((tie) => ({
  condition: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("condition"), { maxLength: 3 }).map((all) => ({ all })),
    fc.array(tie("condition"), { maxLength: 3 }).map((any) => ({ any })),
    tie("condition").map((not) => ({ not })),
  ),
}));

const facts: fc.Arbitrary<CustomerFacts> = fc.record({
  userId: fc.constantFrom("u1", "10", null),
  email: fc.constantFrom("ada@example.com", "PRO@corp.io", null),
  phone: fc.constantFrom("+44 7700 900123", null),
  timezone: fc.constantFrom(...ZONES),
  locale: fc.constantFrom("de-DE", "pro", null),
  // Half the customers hold mostly dates, so time-relative ops meet values they can flip on.
  attributes: fc.oneof(
    fc.dictionary(fc.constantFrom(...CUSTOM), fieldValue),
    fc.dictionary(fc.constantFrom(...CUSTOM), date, { minKeys: 3 }),
  ),
  subscriptions: fc.dictionary(
    fc.constantFrom(...CHANNELS),
    fc.constantFrom<SubscriptionStatus>("subscribed", "unsubscribed", "unknown"),
  ),
});

/** Deterministic look-ups: fast-check functions return the same answer for the same arguments. */
const ctx: fc.Arbitrary<EvaluationContext> = fc.record({
  countEvents: fc.func(fc.nat({ max: 4 })),
  isMember: fc.func(fc.boolean()),
  emailOptOut: fc.boolean(),
});

/**
 * Mostly near NOW, where the generated dates are, so windows and anniversaries flip often:
 * NOW itself is 12:00 UTC, already tomorrow in Auckland and still this morning in Los Angeles.
 */
const now = fc.oneof(
  fc.constantFrom(NOW, NOW - 1, NOW + 12 * 3600_000),
  fc.integer({ min: NOW - 10 * DAY, max: NOW + 10 * DAY }),
  fc.integer({ min: NOW - 400 * DAY, max: NOW + 400 * DAY }),
);

/** The rule as stored: emails are kept in lower case, so are the values an email rule compares. */
function emailsLowerCased(c: Condition): Condition {
  if ("all" in c) return { all: c.all.map(emailsLowerCased) };
  if ("any" in c) return { any: c.any.map(emailsLowerCased) };
  if ("not" in c) return { not: emailsLowerCased(c.not) };
  if (!("attribute" in c) || c.attribute !== "email" || !("value" in c)) return c;
  const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);
  return { ...c, value: Array.isArray(c.value) ? c.value.map(lower) : lower(c.value) } as Condition;
}

function withField(customer: CustomerFacts, name: string, value: unknown): CustomerFacts {
  if (BUILT_IN.includes(name)) return { ...customer, [name]: value };
  const attributes = { ...customer.attributes };
  if (value === undefined) delete attributes[name];
  else attributes[name] = value;
  return { ...customer, attributes };
}

describe("laws of rules", () => {
  it("not(not c) ≡ c", () => {
    fc.assert(
      fc.property(condition, facts, ctx, now, (c, f, x, t) => {
        assert.equal(evaluate({ not: { not: c } }, f, x, t), evaluate(c, f, x, t));
      }),
    );
  });

  it("De Morgan: not(all cs) ≡ any(not c…) and not(any cs) ≡ all(not c…)", () => {
    fc.assert(
      fc.property(fc.array(condition, { maxLength: 4 }), facts, ctx, now, (cs, f, x, t) => {
        const negated = cs.map((c) => ({ not: c }));
        assert.equal(evaluate({ not: { all: cs } }, f, x, t), evaluate({ any: negated }, f, x, t));
        assert.equal(evaluate({ not: { any: cs } }, f, x, t), evaluate({ all: negated }, f, x, t));
      }),
    );
  });

  it("all [] is true and any [] is false for every customer; they are the identities of and / or", () => {
    fc.assert(
      fc.property(condition, facts, ctx, now, (c, f, x, t) => {
        assert.equal(evaluate({ all: [] }, f, x, t), true);
        assert.equal(evaluate({ any: [] }, f, x, t), false);
        assert.equal(evaluate({ all: [c, { all: [] }] }, f, x, t), evaluate(c, f, x, t));
        assert.equal(evaluate({ any: [c, { any: [] }] }, f, x, t), evaluate(c, f, x, t));
      }),
    );
  });

  it("neq is not eq and notExists is not exists, present or missing", () => {
    fc.assert(
      fc.property(fc.constantFrom(...NAMES), scalar, facts, (attribute, value, f) => {
        const x: EvaluationContext = { countEvents: () => 0, isMember: () => false };
        const eq = evaluate({ attribute, op: "eq", value }, f, x, NOW);
        assert.equal(evaluate({ attribute, op: "neq", value }, f, x, NOW), !eq);
        const exists = evaluate({ attribute, op: "exists" }, f, x, NOW);
        assert.equal(evaluate({ attribute, op: "notExists" }, f, x, NOW), !exists);
      }),
    );
  });
});

/** Rules over dates only, where a change of time zone or time most often matters. */
const calendarRule: fc.Arbitrary<Condition> = fc
  .array(
    fc.tuple(
      fc.constantFrom(...CUSTOM),
      fc.oneof(
        fc.constant<ValueTest>({ op: "anniversaryToday" }),
        fc.constantFrom(0.5, 1, 7).map((value): ValueTest => ({ op: "withinLastDays", value })),
        fc.tuple(fc.constantFrom("before", "after"), date).map(([op, value]) => ({ op, value }) as ValueTest),
      ),
      fc.boolean(),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((leaves) => ({
    any: leaves.map(([attribute, test, negate]): Condition => {
      const leaf = { attribute, ...test } as Condition;
      return negate ? { not: leaf } : leaf;
    }),
  }));

const datedFacts = fc.record({
  customer: facts,
  dates: fc.dictionary(fc.constantFrom(...CUSTOM), date, { minKeys: 5 }),
});

describe("dependencies are complete", () => {
  const change = fc.tuple(fc.constantFrom(...NAMES), fieldValue, fc.constantFrom(...ZONES));
  const unchangedBy = (
    c: Condition,
    f: CustomerFacts,
    x: EvaluationContext,
    t: number,
    [name, value, zone]: [string, unknown, string | null],
  ) => {
    fc.pre(!dependencies(c).attributes.has(name));
    const changed = withField(f, name, name === "timezone" ? zone : value);
    assert.equal(evaluate(c, changed, x, t), evaluate(c, f, x, t));
  };

  it("changing an attribute the rule does not depend on never changes the answer", () => {
    fc.assert(fc.property(condition, facts, ctx, now, change, unchangedBy), { numRuns: 1_000 });
  });

  it("including the customer's time zone, for rules on dates", () => {
    fc.assert(
      fc.property(
        calendarRule,
        datedFacts,
        ctx,
        now,
        fc.constantFrom(...ZONES),
        (c, { customer, dates }, x, t, zone) => {
          const f = { ...customer, attributes: dates };
          unchangedBy(c, f, x, t, ["timezone", undefined, zone]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("changing other subscriptions, other segments' memberships or other event counters changes nothing", () => {
    fc.assert(
      fc.property(
        condition,
        facts,
        ctx,
        now,
        fc.constantFrom(...CHANNELS),
        (c, f, x, t, channel: Channel) => {
          const deps = dependencies(c);
          const before = evaluate(c, f, x, t);
          if (!deps.subscriptions.has(channel)) {
            const flipped = f.subscriptions[channel] === "subscribed" ? "unsubscribed" : "subscribed";
            const changed = { ...f, subscriptions: { ...f.subscriptions, [channel]: flipped } };
            assert.equal(evaluate(c, changed, x, t), before);
          }
          if (!deps.subscriptions.has("email")) {
            assert.equal(evaluate(c, f, { ...x, emailOptOut: !x.emailOptOut }, t), before);
          }
          const otherMembership = {
            ...x,
            isMember: (id: string) => (deps.segments.has(id) ? x.isMember(id) : !x.isMember(id)),
          };
          assert.equal(evaluate(c, f, otherMembership, t), before);
          const otherCounts = {
            ...x,
            countEvents: (key: string, since: number | null) =>
              deps.eventKeys.has(key) ? x.countEvents(key, since) : x.countEvents(key, since) + 7,
          };
          assert.equal(evaluate(c, f, otherCounts, t), before);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("a rule that is not time-relative gives the same answer at any time", () => {
    fc.assert(
      fc.property(
        fc.oneof(condition, calendarRule),
        facts,
        now,
        now,
        fc.func(fc.nat({ max: 4 })),
        fc.func(fc.boolean()),
        (c, f, t1, t2, counts, member) => {
          fc.pre(!dependencies(c).timeRelative);
          // Counters are windowed by `since`, which moves with time; only time-free rules qualify.
          const x: EvaluationContext = { countEvents: (key, since) => counts(key, since), isMember: member };
          assert.equal(evaluate(c, f, x, t1), evaluate(c, f, x, t2));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it("lists every event counter the evaluator asks for", () => {
    fc.assert(
      fc.property(condition, facts, ctx, now, (c, f, x, t) => {
        const asked = new Set<string>();
        const countEvents = (key: string, since: number | null) => {
          asked.add(key);
          return x.countEvents(key, since);
        };
        evaluate(c, f, { ...x, countEvents }, t);
        const keys = dependencies(c).eventKeys;
        for (const key of asked) assert.ok(keys.has(key), key);
        for (const [key, cond] of keys) assert.equal(eventConditionKey(cond), key);
      }),
    );
  });
});

describe("parsing generated rules", () => {
  it("accepts every well-formed rule and returns it unchanged, but for email values in lower case", () => {
    fc.assert(
      fc.property(condition, (c) => {
        const json = JSON.parse(JSON.stringify(c));
        assert.deepEqual(parseCondition(json), { ok: true, value: emailsLowerCased(json) });
      }),
    );
  });

  it("never throws on arbitrary JSON, and whatever it accepts evaluates", () => {
    const x: EvaluationContext = { countEvents: () => 1, isMember: () => true };
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), condition), facts, (input, f) => {
        const parsed = parseCondition(input);
        if (parsed.ok) assert.equal(typeof evaluate(parsed.value, f, x, NOW), "boolean");
        else for (const problem of parsed.error) assert.match(problem.path, /^rule/);
      }),
    );
  });

  it("keys event counters the same however the where filters are ordered", () => {
    fc.assert(
      fc.property(fc.array(whereFilter, { maxLength: 4 }), (where) => {
        const reversed = [...where].reverse();
        assert.equal(
          eventConditionKey({ event: "E", where }),
          eventConditionKey({ event: "E", where: reversed }),
        );
      }),
    );
  });
});
