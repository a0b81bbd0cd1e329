import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server for the crash test. Unlike packages/server/src/channels/test-smtp-server.ts
 * it survives clients that die mid-transaction: smtp-server re-emits a socket reset that happens
 * after MAIL FROM as an `error` event on the server, which — unhandled — would crash the test
 * process the first time a worker is killed while sending. It also holds each message for up to
 * `latencyMs` before answering 250, as real servers do, which keeps sends in flight long enough
 * for a kill to land between "accepted by the server" and "recorded by the sender".
 *
 * @example
 *   const sink = await startSmtpSink({ latencyMs: 20 });
 *   … sink.receipts.length, sink.receipts[0].messageId …
 *   await sink.close();
 */
export interface Receipt {
  messageId: string;
  to: string;
  subject: string;
  /** When the 250 reply went out (epoch ms). */
  at: number;
}

export interface SmtpSink {
  port: number;
  /** Every accepted message in order — a redelivery appears twice. */
  receipts: Receipt[];
  /** Connections that broke off in the middle of a transaction (a sender killed mid-send). */
  cutOff: number;
  close(): Promise<void>;
}

export async function startSmtpSink(options: { latencyMs?: number } = {}): Promise<SmtpSink> {
  const latencyMs = options.latencyMs ?? 0;
  const sink: SmtpSink = {
    port: 0,
    receipts: [],
    cutOff: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const closed = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    // No reverse DNS of the client: where no DNS server answers (as on CI machines), each
    // new connection waits ~100 ms for the lookup to give up before the greeting.
    disableReverseLookup: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onClose(session) {
      closed.add(session.id);
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          setTimeout(() => {
            // A sender gone before the 250 reply never had the message accepted: drop it, as a
            // real server does. From the 250 on, the message is delivered.
            if (closed.has(session.id)) return callback(new Error("connection closed"));
            sink.receipts.push({
              messageId: mail.messageId ?? "",
              to: mail.to && !Array.isArray(mail.to) ? mail.to.text : "",
              subject: mail.subject ?? "",
              at: Date.now(),
            });
            callback();
          }, Math.random() * latencyMs);
        },
        (error: Error) => callback(error),
      );
    },
  });
  server.on("error", () => sink.cutOff++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  sink.port = (server.server.address() as AddressInfo).port;
  return sink;
}
