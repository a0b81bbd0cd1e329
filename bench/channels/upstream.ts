/**
 * A provider's local stand-in in a process of its own, so the product under test does not
 * share its thread with the server it sends to: `upstream.ts NAME COUNT` prints one JSON line
 * (`{ url, …credentials }`), and on stdin `END` prints `{"accepted": n}` and exits.
 *
 * The servers are the ones the provider tests use (packages/server/src/channels/test-*.ts),
 * which check each request as the provider documents it.
 */
import { createInterface } from "node:readline";
import { startTestPushService } from "../../packages/server/src/channels/test-push-service";
import { startTestResendServer } from "../../packages/server/src/channels/test-resend-server";
import { startTestSmtpServer } from "../../packages/server/src/channels/test-smtp-server";
import { startTestTelegramServer } from "../../packages/server/src/channels/test-telegram-server";
import { startTestTwilioServer } from "../../packages/server/src/channels/test-twilio-server";
import { startTestWhatsappServer } from "../../packages/server/src/channels/test-whatsapp-server";

const [name, countText] = process.argv.slice(2);
const count = Number(countText);

async function start(): Promise<{
  config: Record<string, unknown>;
  accepted: () => number;
  close: () => Promise<void>;
}> {
  switch (name) {
    case "smtp": {
      const smtp = await startTestSmtpServer();
      return { config: { port: smtp.port }, accepted: () => smtp.messages.length, close: () => smtp.close() };
    }
    case "resend": {
      const s = await startTestResendServer();
      return {
        config: { url: s.url, apiKey: s.apiKey },
        accepted: () => s.emails.length,
        close: () => s.close(),
      };
    }
    case "twilio": {
      const s = await startTestTwilioServer();
      return {
        config: { url: s.url, accountSid: s.accountSid, authToken: s.authToken },
        accepted: () => s.messages.length,
        close: () => s.close(),
      };
    }
    case "telegram": {
      const s = await startTestTelegramServer();
      for (let i = 0; i < count; i++) s.addChat(String(100_000 + i));
      return {
        config: { url: s.url, botToken: s.botToken, botUsername: s.botUsername },
        accepted: () => s.messages.length,
        close: () => s.close(),
      };
    }
    case "whatsapp": {
      const s = await startTestWhatsappServer();
      return {
        config: { url: s.url, phoneNumberId: s.phoneNumberId, accessToken: s.accessToken },
        accepted: () => s.messages.length,
        close: () => s.close(),
      };
    }
    case "push": {
      const s = await startTestPushService();
      const subscriptions = Array.from({ length: count }, () => s.subscribe());
      return { config: { subscriptions }, accepted: () => s.received.length, close: () => s.close() };
    }
    default:
      throw new Error(`no upstream "${name}"`);
  }
}

const upstream = await start();
process.stdout.write(`${JSON.stringify(upstream.config)}\n`);
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once("line", () => resolve()));
process.stdout.write(`${JSON.stringify({ accepted: upstream.accepted() })}\n`, () => {
  void upstream.close().then(() => process.exit(0));
});
