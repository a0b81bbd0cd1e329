/**
 * Builders shared by this folder's tests (not exported from the package).
 *
 * @example
 *   evaluate(rule, customer({ attributes: { plan: "pro" } }), lookups(), NOW);
 */
import type { CustomerFacts, EvaluationContext } from "./evaluate";

/** 2024-06-15T12:00:00Z, a Saturday. */
export const NOW = Date.UTC(2024, 5, 15, 12);

export function customer(overrides: Partial<CustomerFacts> = {}): CustomerFacts {
  return {
    userId: "u1",
    email: "ada@example.com",
    phone: "+447700900123",
    timezone: null,
    locale: null,
    attributes: {},
    subscriptions: {},
    ...overrides,
  };
}

/** Look-ups that find no events and no memberships unless given. */
export function lookups(overrides: Partial<EvaluationContext> = {}): EvaluationContext {
  return { countEvents: () => 0, isMember: () => false, ...overrides };
}
