import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { isChannel } from "@journeys/core";
import { Type } from "typebox";
import { deleteChannel, findChannelSetup, getChannel, listChannels, putChannel } from "../../channels/setup";
import type { TelegramConfig } from "../../channels/telegram";
import { connectTelegramWebhook } from "../../channels/telegram-webhook";
import { sendTest } from "../../channels/test-send";
import { notFound } from "../../errors";
import type { Resources } from "../../resources";
import { businessAccess } from "../auth";
import { BusinessParams, businessErrors, businessSecurity } from "../schemas";

const Setup = Type.Object(
  {
    channel: Type.String(),
    provider: Type.String(),
    passwordSet: Type.Optional(Type.Boolean({ description: "A password is stored (it is never returned)." })),
    webhook: Type.Optional(
      Type.Object(
        { ok: Type.Boolean(), message: Type.String() },
        { description: "Telegram: whether the bot's webhook was registered at this server's public URL." },
      ),
    ),
    updatedAt: Type.Number(),
  },
  {
    additionalProperties: true,
    description: "The provider's fields without secrets, e.g. host, port, secure, username, from.",
  },
);
const ChannelParams = Type.Object({
  businessId: Type.String({ minLength: 1, maxLength: 64 }),
  channel: Type.String({ minLength: 1, maxLength: 32 }),
});
const tags = ["channels"];
const security = businessSecurity;

/**
 * How a business sends on each channel (DESIGN §5 Channel set-up). Secrets go in and never
 * come out: a stored password shows as `passwordSet: true`.
 */
export function channelRoutes(r: Resources, options: { publicUrl: string }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook("onRequest", businessAccess(r));

    app.get(
      "/:businessId/channels",
      {
        schema: {
          tags,
          security,
          params: BusinessParams,
          response: { 200: Type.Object({ data: Type.Array(Setup) }), ...businessErrors },
        },
      },
      async (request) => ({ data: await listChannels(r, request.params.businessId) }),
    );

    app.get(
      "/:businessId/channels/:channel",
      { schema: { tags, security, params: ChannelParams, response: { 200: Setup, ...businessErrors } } },
      async (request) => getChannel(r, request.params.businessId, request.params.channel),
    );

    app.put(
      "/:businessId/channels/:channel",
      {
        schema: {
          tags,
          summary:
            "Set up a channel, e.g. email over SMTP: { provider: 'smtp', host, port, secure, username, password, from }",
          security,
          params: ChannelParams,
          body: Type.Object({ provider: Type.String({ maxLength: 64 }) }, { additionalProperties: true }),
          response: { 200: Setup, ...businessErrors },
        },
      },
      async (request) => {
        const { businessId, channel } = request.params;
        const saved = await putChannel(r, businessId, channel, request.body);
        if (saved.provider !== "telegram") return saved;
        // Telegram sends updates only to a registered webhook: register it with each save.
        const setup = await findChannelSetup(r, businessId, "telegram");
        const said = await connectTelegramWebhook(
          r,
          businessId,
          setup!.config as unknown as TelegramConfig,
          options.publicUrl,
        );
        return {
          ...saved,
          webhook: said.ok ? { ok: true, message: said.description } : { ok: false, message: said.message },
        };
      },
    );

    app.post(
      "/:businessId/channels/:channel/test",
      {
        schema: {
          tags,
          summary: "Send a test message through the set-up; answers what the provider said",
          description:
            "to: an email address, an E.164 phone (sms, whatsapp), a Telegram chat id, or for push a customer id. " +
            "The answer is { ok: true, providerMessageId } or { ok: false, kind, message } (kind retryable, retry_after or permanent).",
          security,
          params: ChannelParams,
          body: Type.Object(
            { to: Type.String({ minLength: 1, maxLength: 320 }) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              ok: Type.Boolean(),
              providerMessageId: Type.Optional(Type.String()),
              kind: Type.Optional(Type.String()),
              message: Type.Optional(Type.String()),
              retryAfterMs: Type.Optional(Type.Number()),
            }),
            ...businessErrors,
          },
        },
      },
      async (request) => {
        const channel = request.params.channel;
        if (!isChannel(channel)) throw notFound(`${channel} channel`);
        const { gone: _gone, ...said } = await sendTest(
          r,
          request.params.businessId,
          channel,
          request.body.to,
        );
        return said;
      },
    );

    app.delete(
      "/:businessId/channels/:channel",
      {
        schema: {
          tags,
          security,
          params: ChannelParams,
          response: { 204: Type.Null({ description: "Removed." }), ...businessErrors },
        },
      },
      async (request, reply) => {
        await deleteChannel(r, request.params.businessId, request.params.channel);
        return reply.code(204).send(null);
      },
    );
  };
}
