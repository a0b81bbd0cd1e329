import { type AddressInfo, createServer } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import type { EmailMessage } from "./provider";

/**
 * A real SMTP server on 127.0.0.1 (a free port) for tests: it parses every accepted message
 * with mailparser, and can be told to answer the next messages with an error reply.
 *
 * @example
 *   const smtp = await startTestSmtpServer();
 *   smtp.failNext(451, "4.3.0 try again later"); // the next DATA gets 451
 *   … smtp.messages[0].subject …
 *   await smtp.close();
 */
export interface TestSmtpServer {
  port: number;
  messages: ParsedMail[];
  /** The envelope recipients of each accepted message, in order. */
  recipients: string[][];
  /** Answer the next `times` messages with `code message` at the end of DATA. */
  failNext(code: number, message: string, times?: number): void;
  /** Resolves once `count` messages have been accepted. */
  waitFor(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const messages: ParsedMail[] = [];
  const recipients: string[][] = [];
  const failures: Array<{ code: number; message: string }> = [];
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    authOptional: true,
    // No reverse DNS of the client: where no DNS server answers (as on CI machines), each
    // new connection waits ~100 ms for the lookup to give up before the greeting.
    disableReverseLookup: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onAuth(_auth, _session, callback) {
      callback(null, { user: "test" });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        const failure = failures.shift();
        if (failure) {
          const error = Object.assign(new Error(failure.message), { responseCode: failure.code });
          return callback(error);
        }
        messages.push(await simpleParser(Buffer.concat(chunks)));
        recipients.push(session.envelope.rcptTo.map((r) => r.address));
        callback();
        for (const wake of waiters.splice(0)) wake();
      });
    },
  });
  // A client that drops the connection mid-transaction is an "error" event; without a listener it would crash the test.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    messages,
    recipients,
    failNext(code, message, times = 1) {
      for (let i = 0; i < times; i++) failures.push({ code, message });
    },
    async waitFor(count, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} messages, got ${messages.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return messages;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A header as sent (mailparser turns some, like List-Unsubscribe, into objects). */
export function rawHeader(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.slice(line.indexOf(":") + 1).trim();
}

/** A small email the test servers accept, to `to`. */
export const helloEmail = (to: string): EmailMessage => ({
  channel: "email",
  to,
  subject: "Hello",
  html: "<p>Hello</p>",
  text: "Hello",
  headers: {},
});

/** A port nothing listens on: bound, then closed (a provider pointed at it cannot connect). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
