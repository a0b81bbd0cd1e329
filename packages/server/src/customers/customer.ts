import { CHANNELS, type Channel, type CustomerFacts, type SubscriptionStatus } from "@journeys/core";
import { readJson } from "../store/json";
import type { CustomersTable } from "../store/schema";

/** Communication types a customer can consent to separately, per channel. */
export type Topic = string;

/**
 * A customer as the API shows it (DESIGN §5). `subscriptions` is per channel; `topics` refines
 * consent per communication type ("newsletters", "promotions", …) and channel.
 */
export interface Customer {
  id: string;
  userId: string | null;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  locale: string | null;
  attributes: Record<string, unknown>;
  subscriptions: Partial<Record<Channel, SubscriptionStatus>>;
  topics: Record<Topic, Partial<Record<Channel, SubscriptionStatus>>>;
  addresses: CustomerAddresses;
  createdAt: number;
  updatedAt: number;
}

export interface PushSubscription {
  /** "webpush" (VAPID endpoint + keys) or "fcm" (device token). */
  kind: "webpush" | "fcm";
  endpoint?: string;
  keys?: { p256dh: string; auth: string };
  token?: string;
}

export interface CustomerAddresses {
  telegram?: { chatId: string };
  /** When the customer last wrote to the business on WhatsApp (epoch ms): the 24-hour window. */
  whatsapp?: { lastInboundAt: number };
  push?: PushSubscription[];
}

interface StoredSubscriptions {
  channels?: Partial<Record<Channel, SubscriptionStatus>>;
  topics?: Record<Topic, Partial<Record<Channel, SubscriptionStatus>>>;
}

export function toCustomer(row: CustomersTable): Customer {
  const subscriptions = readJson<StoredSubscriptions>(row.subscriptions) ?? {};
  return {
    id: row.id,
    userId: row.user_id,
    email: row.email,
    phone: row.phone,
    timezone: row.timezone,
    locale: row.locale,
    attributes: readJson<Record<string, unknown>>(row.attributes) ?? {},
    subscriptions: subscriptions.channels ?? {},
    topics: subscriptions.topics ?? {},
    addresses: readJson<CustomerAddresses>(row.addresses) ?? {},
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function storedSubscriptions(
  customer: Pick<Customer, "subscriptions" | "topics">,
): StoredSubscriptions {
  return Object.keys(customer.topics).length
    ? { channels: customer.subscriptions, topics: customer.topics }
    : { channels: customer.subscriptions };
}

/** A customer on the wire: `subscriptions` names every channel (DESIGN §5). */
export interface CustomerView extends Omit<Customer, "subscriptions"> {
  subscriptions: Record<Channel, SubscriptionStatus>;
}

/**
 * The customer as the API sends it: every channel in `subscriptions`, `unknown` where no
 * consent is recorded. Only the response is filled in: `Customer.subscriptions` keeps what was
 * recorded, because merging two profiles lets a recorded status win over a missing one, and
 * writing back a filled-in map would store `unknown` for every channel.
 *
 * @example
 *   toCustomerView(customer).subscriptions; // { email: "subscribed", sms: "unknown", … }
 */
export function toCustomerView(customer: Customer): CustomerView {
  const subscriptions = {} as Record<Channel, SubscriptionStatus>;
  for (const channel of CHANNELS) subscriptions[channel] = customer.subscriptions[channel] ?? "unknown";
  return { ...customer, subscriptions };
}

/** What the segment evaluator reads of a customer. */
export function factsOf(customer: Customer): CustomerFacts {
  return {
    userId: customer.userId,
    email: customer.email,
    phone: customer.phone,
    timezone: customer.timezone,
    locale: customer.locale,
    attributes: customer.attributes,
    subscriptions: customer.subscriptions,
  };
}
