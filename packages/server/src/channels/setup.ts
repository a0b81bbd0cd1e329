import { type Channel, isChannel } from "@journeys/core";
import { JourneysError, notFound } from "../errors";
import { type Outbound, OutboundRefused } from "../outbound/outbound";
import type { Resources } from "../resources";
import { readJson, writeJson } from "../store/json";
import { PROVIDERS, providerDefinition } from "./registry";

/** A channel set-up as stored, secrets included: for the dispatcher, never for the API. */
export interface ChannelSetup {
  channel: Channel;
  provider: string;
  config: Record<string, unknown>;
  updatedAt: number;
}

/** A channel set-up as the API shows it: `{ channel, provider, …fields, passwordSet, updatedAt }`. */
export type PublicChannelSetup = Record<string, unknown> & {
  channel: Channel;
  provider: string;
  updatedAt: number;
};

function assertChannel(channel: string): Channel {
  if (!isChannel(channel)) {
    throw new JourneysError(
      "not_found",
      "not_found",
      `no channel "${channel}"; channels are email, sms, whatsapp, telegram, push`,
    );
  }
  return channel;
}

function invalid(channel: Channel, fields: Array<{ field: string; message: string }>): JourneysError {
  const first = fields[0]!;
  return new JourneysError(
    "bad_request",
    "invalid_channel_setup",
    `${first.field} ${first.message}${fields.length > 1 ? ` (and ${fields.length - 1} more)` : ""}`,
    { channel, fields },
  );
}

/**
 * Sets up (or replaces) how a business sends on a channel. A secret left out keeps the stored
 * one, so a UI can save other fields without asking for the password again.
 *
 * @example
 *   await putChannel(r, "bus_…", "email", { provider: "smtp", host: "smtp.example.com", port: 587,
 *     secure: false, username: "apikey", password: "…", from: "Shop <news@shop.example>" });
 */
export async function putChannel(
  r: Resources,
  businessId: string,
  channelName: string,
  input: Record<string, unknown>,
): Promise<PublicChannelSetup> {
  const channel = assertChannel(channelName);
  const names = PROVIDERS[channel].map((d) => d.name);
  if (names.length === 0) {
    throw invalid(channel, [
      { field: "provider", message: `has nothing to choose from: no ${channel} provider is available yet` },
    ]);
  }
  const provider = typeof input.provider === "string" ? input.provider : "";
  const definition = providerDefinition(channel, provider);
  if (!definition)
    throw invalid(channel, [{ field: "provider", message: `must be one of ${names.join(", ")}` }]);
  const existing = await findChannelSetup(r, businessId, channel);
  const parsed = definition.parse(input, existing?.provider === provider ? existing.config : null);
  if (Array.isArray(parsed)) throw invalid(channel, parsed);
  const refused = await refusedHosts(r.outbound, definition.outboundHosts(parsed));
  if (refused.length > 0) throw invalid(channel, refused);
  const now = r.clock.now();
  const values = {
    provider,
    config: writeJson(sealSecrets(r, businessId, channel, provider, parsed)),
    updated_at: now,
  };
  await r.store.db
    .insertInto("channels")
    .values({ business_id: businessId, channel, ...values })
    .onConflict((oc) => oc.columns(["business_id", "channel"]).doUpdateSet(values))
    .execute();
  return redact({ channel, provider, config: parsed, updatedAt: now });
}

/** The set-up of one channel with its secrets, or null when the channel is not configured. */
export async function findChannelSetup(
  r: Resources,
  businessId: string,
  channel: Channel,
): Promise<ChannelSetup | null> {
  const row = await r.store.db
    .selectFrom("channels")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("channel", "=", channel)
    .executeTakeFirst();
  return row
    ? {
        channel,
        provider: row.provider,
        config: openSecrets(r, businessId, channel, row.provider, readJson(row.config)),
        updatedAt: Number(row.updated_at),
      }
    : null;
}

/** Every configured channel of the business, without secrets. */
export async function listChannels(r: Resources, businessId: string): Promise<PublicChannelSetup[]> {
  const rows = await r.store.db
    .selectFrom("channels")
    .selectAll()
    .where("business_id", "=", businessId)
    .orderBy("channel")
    .execute();
  return rows.map((row) =>
    redact({
      channel: row.channel as Channel,
      provider: row.provider,
      // Redacted at once: shown as `…Set: true`, never decrypted for a read.
      config: readJson(row.config),
      updatedAt: Number(row.updated_at),
    }),
  );
}

export async function getChannel(
  r: Resources,
  businessId: string,
  channelName: string,
): Promise<PublicChannelSetup> {
  const setup = await findChannelSetup(r, businessId, assertChannel(channelName));
  if (!setup) throw notFound(`${channelName} channel set-up`);
  return redact(setup);
}

/** Removes a channel's set-up; its queued messages are then skipped as `channel_not_configured`. */
export async function deleteChannel(r: Resources, businessId: string, channelName: string): Promise<void> {
  const channel = assertChannel(channelName);
  const result = await r.store.db
    .deleteFrom("channels")
    .where("business_id", "=", businessId)
    .where("channel", "=", channel)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw notFound(`${channel} channel set-up`);
}

/**
 * The hosts of a set-up the outbound guard refuses, as field problems. A name that does not
 * resolve now is accepted (DNS may be down, or the name is only known where the worker runs):
 * every connection is checked again when it is made.
 */
async function refusedHosts(
  outbound: Outbound,
  hosts: Array<{ field: string; host: string }>,
): Promise<Array<{ field: string; message: string }>> {
  const problems: Array<{ field: string; message: string }> = [];
  for (const { field, host } of hosts) {
    try {
      await outbound.check(host);
    } catch (error) {
      if (error instanceof OutboundRefused) problems.push({ field, message: error.message });
    }
  }
  return problems;
}

/** Where a secret sits, bound into its encryption: a copy elsewhere does not decrypt. */
const secretPlace = (businessId: string, channel: Channel, field: string) =>
  `${businessId}/${channel}/${field}`;

function sealSecrets(
  r: Resources,
  businessId: string,
  channel: Channel,
  provider: string,
  config: Record<string, unknown>,
): Record<string, unknown> {
  const definition = providerDefinition(channel, provider);
  const sealed = { ...config };
  for (const field of definition?.secretFields ?? []) {
    const value = sealed[field];
    if (typeof value === "string" && value !== "")
      sealed[field] = r.secrets.seal(value, secretPlace(businessId, channel, field));
  }
  return sealed;
}

function openSecrets(
  r: Resources,
  businessId: string,
  channel: Channel,
  provider: string,
  config: Record<string, unknown>,
): Record<string, unknown> {
  const definition = providerDefinition(channel, provider);
  const opened = { ...config };
  for (const field of definition?.secretFields ?? []) {
    const value = opened[field];
    if (typeof value === "string")
      opened[field] = r.secrets.open(value, secretPlace(businessId, channel, field));
  }
  return opened;
}

function redact(setup: ChannelSetup): PublicChannelSetup {
  const definition = providerDefinition(setup.channel, setup.provider);
  const fields = definition ? definition.redact(setup.config) : {};
  return { channel: setup.channel, provider: setup.provider, ...fields, updatedAt: setup.updatedAt };
}
