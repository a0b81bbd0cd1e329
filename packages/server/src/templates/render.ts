import type { Customer } from "../customers/customer";
import { CHANNEL_LIMITS, characters, renderedOverLimit } from "./channel-limits";
import { escapeHtml, renderLiquid } from "./liquid";
import { compileMjml, isMjml } from "./mjml";
import type { Template, WhatsappTemplateRef } from "./template";
import { htmlToText } from "./text";

/**
 * What Liquid sees: `customer` (built-in fields, `attributes`, and each attribute once more
 * directly under `customer` — built-in fields win a clash), `event` (the triggering event's
 * properties, `{}` when there is none), `business` (`name`) and `unsubscribe_url`.
 */
export interface RenderInput {
  customer: Customer;
  event: Record<string, unknown> | null;
  business: { name: string };
  /** The signed one-click link; emails get it appended when the template does not place it. */
  unsubscribeUrl?: string;
}

/** A template rendered for one customer, per channel. */
export type RenderedContent =
  | { channel: "email"; subject: string; html: string; text: string }
  | { channel: "sms" | "telegram"; body: string }
  | { channel: "whatsapp"; body?: string; whatsappTemplate?: WhatsappTemplateRef }
  | { channel: "push"; title: string; body: string; url?: string };

export function liquidScope(input: RenderInput): Record<string, unknown> {
  const c = input.customer;
  return {
    customer: {
      ...c.attributes,
      id: c.id,
      userId: c.userId,
      email: c.email,
      phone: c.phone,
      timezone: c.timezone,
      locale: c.locale,
      attributes: c.attributes,
      subscriptions: c.subscriptions,
    },
    event: input.event ?? {},
    business: { name: input.business.name },
    unsubscribe_url: input.unsubscribeUrl ?? "",
  };
}

/**
 * Renders every Liquid field of `template` for one customer. Throws when a template fails at
 * render time or renders larger than the output cap (the dispatcher records that as failed).
 *
 * @example
 *   const email = await renderTemplate(template, { customer, event: { plan: "pro" }, business });
 *   // → { channel: "email", subject: "Welcome, Ada", html: "<p>…</p>", text: "…" }
 */
export async function renderTemplate(template: Template, input: RenderInput): Promise<RenderedContent> {
  const rendered = await renderFields(template, input);
  const problem = rendered.channel === "email" ? null : renderedOverLimit(rendered.channel, rendered);
  if (problem) throw new Error(problem);
  if (rendered.channel === "whatsapp" && rendered.whatsappTemplate) {
    const over = rendered.whatsappTemplate.parameters.findIndex(
      (p) => characters(p) > CHANNEL_LIMITS.whatsapp.parameter!,
    );
    if (over !== -1)
      throw new Error(
        `whatsappTemplate.parameters.${over} renders to more than ${CHANNEL_LIMITS.whatsapp.parameter} characters`,
      );
  }
  return rendered;
}

async function renderFields(template: Template, input: RenderInput): Promise<RenderedContent> {
  const scope = liquidScope(input);
  const plain = (source: string) => renderLiquid(source, scope, "plain");
  switch (template.channel) {
    case "email": {
      const subject = (await plain(template.subject)).replace(/\s+/g, " ").trim();
      const source = isMjml(template.body) ? await compileMjml(template.body) : template.body;
      let html = await renderLiquid(source, scope, "html");
      let text = template.text === undefined ? null : await plain(template.text);
      // Whether the link is there is decided on what was rendered, not on the source: a link
      // inside a false `if`, or a Liquid comment naming unsubscribe_url, puts none in the email.
      const link = input.unsubscribeUrl;
      if (link && !html.includes(link) && !html.includes(escapeHtml(link)))
        html = appendUnsubscribe(html, link);
      if (text === null) text = htmlToText(html);
      else if (link && !text.includes(link)) text = `${text.trimEnd()}\n\nUnsubscribe: ${link}`;
      return { channel: "email", subject, html, text };
    }
    case "sms":
    case "telegram":
      return { channel: template.channel, body: await plain(template.body) };
    case "whatsapp": {
      if (!template.whatsappTemplate) return { channel: "whatsapp", body: await plain(template.body ?? "") };
      const ref = template.whatsappTemplate;
      const parameters = await Promise.all(ref.parameters.map(plain));
      return { channel: "whatsapp", whatsappTemplate: { ...ref, parameters } };
    }
    case "push": {
      const url = template.url === undefined ? undefined : (await plain(template.url)).trim();
      return {
        channel: "push",
        title: await plain(template.title),
        body: await plain(template.body),
        ...(url ? { url } : {}),
      };
    }
  }
}

function appendUnsubscribe(html: string, link: string): string {
  const footer =
    `<p style="font-size:12px;color:#666;margin-top:24px">` +
    `<a href="${escapeHtml(link)}" style="color:#666">Unsubscribe</a></p>`;
  const close = html.search(/<\/body\s*>/i);
  return close === -1 ? `${html}\n${footer}` : `${html.slice(0, close)}${footer}${html.slice(close)}`;
}
