import { type Channel, isChannel } from "@journeys/core";
import { blankCustomer } from "../customers/profile";
import { JourneysError, notFound } from "../errors";
import { assertNameFree, withUniqueName } from "../names/unique-names";
import type { Resources } from "../resources";
import { readJson, writeJson } from "../store/json";
import { parseContent } from "./content";
import { isMjml } from "./mjml";
import { contentOf, type Template, toTemplate } from "./template";

/** What the API accepts: `name`, `channel`, `transactional` and the channel's content fields. */
export type TemplateInput = { name?: unknown; channel?: unknown; transactional?: unknown } & Record<
  string,
  unknown
>;

function nameOf(value: unknown): string {
  const name = typeof value === "string" ? value.trim() : "";
  if (!name || name.length > 200) {
    throw new JourneysError("bad_request", "invalid_template_content", "name must be 1–200 characters", {
      fields: [{ field: "name", message: "must be 1–200 characters" }],
    });
  }
  return name;
}

function split(input: TemplateInput): Record<string, unknown> {
  const { name: _n, channel: _c, transactional: _t, ...content } = input;
  return content;
}

/**
 * An MJML email body must compile: it is rendered once, off the main thread within the render
 * budget, for a blank customer. Only MJML's own refusals count here — a Liquid error at render
 * time depends on the customer and is the preview's and the send's to report.
 */
async function checkCompiles(
  r: Resources,
  businessId: string,
  channel: Channel,
  content: object,
): Promise<void> {
  const body = (content as { body?: unknown }).body;
  if (channel !== "email" || typeof body !== "string" || !isMjml(body)) return;
  const template = {
    id: "tpl_check",
    name: "check",
    channel,
    transactional: false,
    ...content,
    createdAt: 0,
    updatedAt: 0,
  };
  try {
    await r.renderer.render(businessId, template as Template, {
      customer: blankCustomer("cus_check", r.clock.now()),
      event: null,
      business: { name: "Check" },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!message.startsWith("MJML")) return;
    throw new JourneysError("bad_request", "invalid_template", `body: ${message}`, {
      problems: [{ field: "body", line: null, column: null, message }],
    });
  }
}

/**
 * Creates a template after checking its content and Liquid (see `parseContent`).
 *
 * @example
 *   await createTemplate(r, "bus_…", { name: "Welcome", channel: "email",
 *     subject: "Hi {{ customer.firstName }}", body: "<p>Welcome to {{ business.name }}</p>" });
 */
export async function createTemplate(
  r: Resources,
  businessId: string,
  input: TemplateInput,
): Promise<Template> {
  if (!isChannel(input.channel)) {
    throw new JourneysError(
      "bad_request",
      "invalid_template_content",
      "channel must be email, sms, whatsapp, telegram or push",
      {
        fields: [{ field: "channel", message: "must be email, sms, whatsapp, telegram or push" }],
      },
    );
  }
  const name = nameOf(input.name);
  const content = parseContent(input.channel, split(input));
  await checkCompiles(r, businessId, input.channel, content);
  const now = r.clock.now();
  const id = r.newId("tpl");
  await assertNameFree(r.store.db, "template", businessId, name);
  await withUniqueName("template", name, () =>
    r.store.db
      .insertInto("templates")
      .values({
        business_id: businessId,
        id,
        name,
        channel: input.channel as Channel,
        content: writeJson(content),
        transactional: input.transactional === true ? 1 : 0,
        created_at: now,
        updated_at: now,
      })
      .execute(),
  );
  return getTemplate(r, businessId, id);
}

export async function findTemplate(r: Resources, businessId: string, id: string): Promise<Template | null> {
  const row = await r.store.db
    .selectFrom("templates")
    .selectAll()
    .where("business_id", "=", businessId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row ? toTemplate(row) : null;
}

export async function getTemplate(r: Resources, businessId: string, id: string): Promise<Template> {
  const template = await findTemplate(r, businessId, id);
  if (!template) throw notFound("template");
  return template;
}

/** Every template of the business, optionally of one channel, newest first. */
export async function listTemplates(
  r: Resources,
  businessId: string,
  channel?: Channel,
): Promise<Template[]> {
  let query = r.store.db.selectFrom("templates").selectAll().where("business_id", "=", businessId);
  if (channel) query = query.where("channel", "=", channel);
  const rows = await query.orderBy("id", "desc").execute();
  return rows.map(toTemplate);
}

/**
 * Changes a template: absent fields stay, `null` removes an optional content field. The
 * channel is fixed (journeys chose the template for its channel): 409 `channel_change`.
 *
 * @example await updateTemplate(r, "bus_…", "tpl_…", { subject: "New subject" })
 */
export async function updateTemplate(
  r: Resources,
  businessId: string,
  id: string,
  patch: TemplateInput,
): Promise<Template> {
  const existing = await getTemplate(r, businessId, id);
  if (patch.channel !== undefined && patch.channel !== existing.channel) {
    throw new JourneysError(
      "conflict",
      "channel_change",
      `template ${id} is a ${existing.channel} template; create a new template for another channel`,
    );
  }
  const name = patch.name === undefined ? existing.name : nameOf(patch.name);
  const merged: Record<string, unknown> = { ...contentOf(existing), ...split(patch) };
  for (const [key, value] of Object.entries(merged)) if (value === null) delete merged[key];
  const content = parseContent(existing.channel, merged);
  await checkCompiles(r, businessId, existing.channel, content);
  const transactional =
    patch.transactional === undefined ? existing.transactional : patch.transactional === true;
  if (name !== existing.name) await assertNameFree(r.store.db, "template", businessId, name, id);
  await withUniqueName("template", name, () =>
    r.store.db
      .updateTable("templates")
      .set({
        name,
        content: writeJson(content),
        transactional: transactional ? 1 : 0,
        updated_at: r.clock.now(),
      })
      .where("business_id", "=", businessId)
      .where("id", "=", id)
      .execute(),
  );
  return getTemplate(r, businessId, id);
}

/**
 * Deletes a template no live journey uses; 409 `template_in_use` names the journeys that do
 * (archive them or point them at another template first).
 */
export async function deleteTemplate(r: Resources, businessId: string, id: string): Promise<void> {
  await getTemplate(r, businessId, id);
  const journeys = await r.store.db
    .selectFrom("journeys")
    .select(["id", "name", "definition"])
    .where("business_id", "=", businessId)
    .where("status", "!=", "archived")
    .execute();
  const users = journeys.filter((j) => usesTemplate(readJson(j.definition), id));
  if (users.length > 0) {
    throw new JourneysError(
      "conflict",
      "template_in_use",
      `template ${id} is used by ${users.map((j) => `"${j.name}"`).join(", ")}`,
      { journeys: users.map((j) => j.id) },
    );
  }
  await r.store.db
    .deleteFrom("templates")
    .where("business_id", "=", businessId)
    .where("id", "=", id)
    .execute();
}

function usesTemplate(definition: unknown, templateId: string): boolean {
  const nodes = (definition as { nodes?: Record<string, { templateId?: unknown }> } | null)?.nodes ?? {};
  return Object.values(nodes).some((node) => node?.templateId === templateId);
}
