import type { OutgoingMessage, SendResult } from "../channels/provider";
import { addTracking, type TrackingLinks, trackingLinks } from "../channels/tracking-links";
import { unsubscribeToken } from "../channels/unsubscribe";
import type { Customer } from "../customers/customer";
import type { Resources } from "../resources";
import type { RenderedContent } from "../templates/render";
import { forgetGoneAddresses } from "./address-gone";
import { retryDelay } from "./backoff";
import { holdFence } from "./claim";
import { decide } from "./decide";
import { deferral } from "./defer";
import type { ClaimedDelivery, Outcome } from "./delivery";
import type { BatchLookups } from "./lookups";
import type { ResolvedOptions } from "./options";
import { recordOutcome } from "./record";
import { takeSendSlot } from "./send-rate";

/** What happened to one claimed delivery; `lost` means another worker holds it now. */
export type DeliveryResult = Outcome["status"] | "lost";

/**
 * Takes one claimed delivery to its outcome: decide (skip with a reason, or send), render,
 * re-check the fence, send, record — every record fenced on the attempt.
 *
 * @example await deliver(r, claimed, lookups, resolveOptions({ providers, publicUrl }))
 */
export async function deliver(
  r: Resources,
  d: ClaimedDelivery,
  lookups: BatchLookups,
  options: ResolvedOptions,
): Promise<DeliveryResult> {
  const record = async (outcome: Outcome): Promise<DeliveryResult> =>
    (await recordOutcome(r, d, outcome)) ? outcome.status : "lost";

  if (d.attempt > options.retry.maxAttempts) {
    return record({
      status: "failed",
      reason: "attempts_exhausted",
      why: `${options.retry.maxAttempts} attempts did not finish (the worker stopped mid-send)`,
    });
  }
  const [business, template, setup, journeyArchived, customer] = await Promise.all([
    lookups.business(d.businessId),
    lookups.template(d.businessId, d.templateId),
    lookups.channel(d.businessId, d.channel),
    lookups.journeyArchived(d.businessId, d.journeyId),
    lookups.customer(d.businessId, d.customerId),
  ]);
  const provider = setup ? options.providers.get(d.businessId, setup) : null;
  const decision = decide({
    channel: d.channel,
    customer,
    template,
    business,
    channelReady: !!provider,
    journeyArchived,
    now: r.clock.now(),
  });
  if (!decision.send) return record({ status: "skipped", reason: decision.reason, why: decision.why });
  if (!decision.template.transactional) {
    const later = await deferral(r, business, decision.customer, d.channel, r.clock.now());
    if (later) return record({ status: "deferred", ...later });
  }
  const rate = business.settings.sendRates?.[d.channel];
  if (rate) {
    const busy = await takeSendSlot(r, d.businessId, d.channel, rate, r.clock.now());
    if (busy) {
      const why = `the business sends at most ${rate} ${d.channel} messages per second`;
      return record({ status: "deferred", reason: "send_rate", until: busy.until, why });
    }
  }

  // Outside the render's try: a store error here is no fault of the template, and must not
  // fail the delivery for good (the claim's lease runs out and it is tried again).
  const unsubscribeUrl = `${options.publicUrl}/u/${await unsubscribeToken(r.store, {
    businessId: d.businessId,
    customerId: d.customerId,
    channel: d.channel,
  })}`;
  // Marketing email only: a receipt or a password reset is not tracked (docs/decisions.md).
  const tracking =
    d.channel === "email" && !decision.template.transactional
      ? await trackingLinks(r.store, options.publicUrl, { businessId: d.businessId, deliveryId: d.id })
      : null;
  let message: OutgoingMessage;
  try {
    const rendered = await r.renderer.render(d.businessId, decision.template, {
      customer: decision.customer,
      event: d.context?.event ?? null,
      business,
      unsubscribeUrl,
    });
    message = toMessage(rendered, decision.to, unsubscribeUrl, decision.customer, tracking);
  } catch (error) {
    return record({
      status: "failed",
      reason: "render_failed",
      why: `the template does not render: ${errorText(error)}`,
    });
  }

  if (!provider || !setup) return "lost";
  // Wait for the provider to have room first, so the send starts right after the fence check.
  const release = await options.providers.sendSlots.take(provider, setup);
  let result: SendResult;
  try {
    // While more than half of the claim's lease is left, no other worker can have taken the
    // delivery (a claim needs an expired lease), so the fence holds without asking the store.
    // Later — a slow render, a long wait for room — renew the lease and re-check the fence.
    const leaseLeft = d.leaseUntil - r.clock.now();
    if (leaseLeft <= options.leaseMs / 2 && !(await holdFence(r, d, options.leaseMs))) return "lost";
    result = await whileHeld(r, d, options.leaseMs, () =>
      provider.send(message as never, {
        idempotencyKey: d.id,
        callbackBase: `${options.publicUrl}/webhooks/${d.businessId}`,
      }),
    );
  } catch (error) {
    result = { ok: false, kind: "retryable", message: errorText(error) };
  } finally {
    release();
  }
  const done = await recordSend(result);
  // After the outcome is recorded, never before: a store error here must not leave a sent
  // message unrecorded. Should it fail, the address stays and the next send reports it again.
  if (result.gone?.length && done !== "lost")
    await forgetGoneAddresses(r, d.businessId, d.customerId, d.channel, result.gone).catch(() => {});
  return done;

  async function recordSend(result: SendResult): Promise<DeliveryResult> {
    if (result.ok) return record({ status: "sent", messageId: result.providerMessageId });
    if (result.kind === "permanent" || d.attempt >= options.retry.maxAttempts) {
      const why =
        result.kind === "permanent"
          ? result.message
          : `gave up after ${d.attempt} attempts: ${result.message}`;
      return record({
        status: "failed",
        reason: result.kind === "permanent" ? "permanent" : "attempts_exhausted",
        why,
      });
    }
    const delay = retryDelay(d.attempt, result, options.retry, options.random);
    return record({ status: "retrying", retryAt: r.clock.now() + delay, why: result.message });
  }
}

/**
 * Runs `send` while renewing the claim's lease every third of it: an SMTP session has no overall
 * deadline (its timeouts are per step), and a send that outlived its lease could be claimed and
 * sent again by another worker while this one is still talking to the server. A worker that
 * dies stops renewing, and its lease runs out as before.
 */
async function whileHeld<T>(
  r: Resources,
  d: ClaimedDelivery,
  leaseMs: number,
  send: () => Promise<T>,
): Promise<T> {
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing.then(() => holdFence(r, d, leaseMs)).catch(() => {});
  }, leaseMs / 3);
  try {
    return await send();
  } finally {
    clearInterval(timer);
    // The outcome is recorded after the last renewal, never beside it.
    await renewing;
  }
}

/**
 * The provider message for a rendered template. Emails carry RFC 8058 one-click unsubscribe
 * headers pointing at the signed link (which the body carries too); a push message goes to
 * every subscription of the customer. With `tracking`, an email's links lead through tracked
 * links and it carries an open pixel; the text part keeps the links as written.
 */
function toMessage(
  rendered: RenderedContent,
  to: string,
  unsubscribeUrl: string,
  customer: Customer,
  tracking: TrackingLinks | null,
): OutgoingMessage {
  switch (rendered.channel) {
    case "email":
      return {
        channel: "email",
        to,
        subject: rendered.subject,
        html: tracking ? addTracking(rendered.html, tracking, unsubscribeUrl) : rendered.html,
        text: rendered.text,
        headers: {
          "List-Unsubscribe": `<${unsubscribeUrl}>`,
          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
      };
    case "sms":
    case "telegram":
      return { channel: rendered.channel, to, body: rendered.body };
    case "whatsapp":
      return { ...rendered, to };
    case "push":
      return { ...rendered, to, subscriptions: customer.addresses.push ?? [] };
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
