import { getBusiness } from "../accounts/businesses";
import { findCustomer } from "../customers/export";
import { blankCustomer } from "../customers/profile";
import { JourneysError } from "../errors";
import type { Resources } from "../resources";
import { type SmsSegments, smsSegments } from "./channel-limits";
import type { RenderedContent } from "./render";
import { getTemplate } from "./templates";

/** The link previews show where the signed unsubscribe link will be. */
export const PREVIEW_UNSUBSCRIBE_URL = "https://unsubscribe.invalid/preview";

/**
 * Renders a saved template as `customerId` would receive it (or for a blank sample customer),
 * with `event` as the triggering event's properties. A template that fails at render time
 * gives 422 `render_failed` with liquidjs's message.
 *
 * @example await previewTemplate(r, "bus_…", "tpl_…", { customerId: "cus_…", event: { plan: "pro" } })
 */
export async function previewTemplate(
  r: Resources,
  businessId: string,
  templateId: string,
  input: { customerId?: string; event?: Record<string, unknown> },
): Promise<RenderedContent & { sms?: SmsSegments }> {
  const template = await getTemplate(r, businessId, templateId);
  const business = await getBusiness(r, businessId);
  const customer = input.customerId
    ? await findCustomer(r.store.db, businessId, input.customerId)
    : blankCustomer("cus_preview", r.clock.now());
  try {
    const rendered = await r.renderer.render(businessId, template, {
      customer,
      event: input.event ?? null,
      business,
      unsubscribeUrl: PREVIEW_UNSUBSCRIBE_URL,
    });
    return rendered.channel === "sms" ? { ...rendered, sms: smsSegments(rendered.body) } : rendered;
  } catch (error) {
    throw new JourneysError(
      "unprocessable",
      "render_failed",
      `the template does not render: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
