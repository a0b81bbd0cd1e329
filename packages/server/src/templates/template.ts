import type { Channel } from "@journeys/core";
import { readJson } from "../store/json";
import type { TemplatesTable } from "../store/schema";

/** What each channel's template holds (DESIGN §5 Template). Liquid may appear in every string. */
export interface EmailContent {
  subject: string;
  /** HTML. */
  body: string;
  /** The plain-text part; derived from the HTML when absent. */
  text?: string;
}
export interface TextContent {
  body: string;
}
export interface WhatsappTemplateRef {
  name: string;
  language: string;
  parameters: string[];
}
/** Free text (inside the 24-hour window) or a pre-approved WhatsApp template. */
export interface WhatsappContent {
  body?: string;
  whatsappTemplate?: WhatsappTemplateRef;
}
export interface PushContent {
  title: string;
  body: string;
  url?: string;
}

export interface ContentByChannel {
  email: EmailContent;
  sms: TextContent;
  telegram: TextContent;
  whatsapp: WhatsappContent;
  push: PushContent;
}

/**
 * A message template as the API shows it: the channel's content fields sit beside `id`,
 * `name` and `channel`.
 *
 * @example
 *   { id: "tpl_…", name: "Welcome", channel: "email", transactional: false,
 *     subject: "Hi {{ customer.firstName }}", body: "<p>Welcome!</p>", createdAt, updatedAt }
 */
export type Template = {
  [C in Channel]: {
    id: string;
    name: string;
    channel: C;
    /** Needs no marketing consent (a receipt, a password reset). */
    transactional: boolean;
    createdAt: number;
    updatedAt: number;
  } & ContentByChannel[C];
}[Channel];

/** The content fields of a template, without its identity. */
export function contentOf(template: Template): ContentByChannel[Channel] {
  const {
    id: _id,
    name: _n,
    channel: _c,
    transactional: _t,
    createdAt: _ca,
    updatedAt: _ua,
    ...content
  } = template;
  return content;
}

export function toTemplate(row: TemplatesTable): Template {
  return {
    id: row.id,
    name: row.name,
    channel: row.channel as Channel,
    transactional: Boolean(Number(row.transactional)),
    ...readJson<object>(row.content),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  } as Template;
}
