import type { Customer } from "../customers/customer";
import type { Template } from "../templates/template";

/**
 * WhatsApp's customer-service window: for 24 hours after the customer's last message to the
 * business (recorded by the webhook as `addresses.whatsapp.lastInboundAt`), the business may
 * send free text; outside it, only an approved template. A WhatsApp template may hold a
 * `body`, a `whatsappTemplate`, or both; which one goes is decided here, at send time:
 *
 *   window open   → body if there is one, else the approved template
 *   window closed → the approved template; with only a body, nothing (skipped
 *                   `outside_whatsapp_window`, and the fallback channels are tried)
 */
export const WHATSAPP_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Whether the customer wrote within the last 24 hours at `now`.
 *
 * @example whatsappWindowOpen(customer, clock.now()) // true: they replied an hour ago
 */
export function whatsappWindowOpen(customer: Pick<Customer, "addresses">, now: number): boolean {
  const last = customer.addresses.whatsapp?.lastInboundAt;
  return typeof last === "number" && now - last < WHATSAPP_WINDOW_MS;
}

type WhatsappTemplate = Extract<Template, { channel: "whatsapp" }>;

/**
 * The template narrowed to the one content that may go now (the renderer renders what is
 * left), or null when free text is all it has and the window is closed.
 *
 * @example whatsappContentFor({ …, body: "Hi", whatsappTemplate: ref }, false) // { …, whatsappTemplate: ref }
 */
export function whatsappContentFor(template: WhatsappTemplate, windowOpen: boolean): WhatsappTemplate | null {
  const { body, whatsappTemplate, ...rest } = template;
  if (windowOpen && body !== undefined) return { ...rest, body };
  if (whatsappTemplate) return { ...rest, whatsappTemplate };
  return null;
}
