import { randomBytes } from "node:crypto";
import { Socket } from "node:net";
import nodemailer, { type SendMailOptions, type Transporter } from "nodemailer";
import { type Outbound, OutboundRefused } from "../outbound/outbound";
import type { ProviderDefinition, SetupProblem } from "./definition";
import { asciiDomain, composeEmail, type Mailbox } from "./mime";
import type { ChannelProvider, EmailMessage, SendFailure, SendOptions, SendResult } from "./provider";

/**
 * Email over SMTP through nodemailer (DESIGN §5 Channel set-up):
 * `{ provider: "smtp", host, port, secure, username, password, from }`.
 *
 * One pooled transport per business set-up (the provider cache rebuilds it when the set-up
 * changes). Every delivery gets `Message-ID: <idempotency key@sender domain>`, the same on
 * every attempt. Answers are classified for the dispatcher: 4xx replies and connection
 * problems are retryable, 5xx replies permanent — except authentication refusals (530, 535)
 * and a server that cannot start TLS for a login, which are the set-up's fault rather than the
 * message's and so are retried until it is fixed.
 */
export interface SmtpConfig {
  host: string;
  port: number;
  /**
   * TLS from the first byte (port 465); false means STARTTLS when the server offers it, and
   * always with a username (the password is not sent over a connection without TLS).
   */
  secure: boolean;
  username?: string;
  password?: string;
  /** `news@shop.example` or `Shop <news@shop.example>`. */
  from: string;
  /** Connections kept open to the server (default 5). Sending is latency-bound per connection. */
  maxConnections?: number;
}

const ADDRESS = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;
const NAMED_ADDRESS = /^\s*(?:"([^"]*)"|([^<>"]*?))\s*<([^<>]+)>\s*$/;

/** The name and address of a `from` value (an address, or a name and an address in angle brackets). */
function mailboxOf(from: string): Mailbox {
  const named = NAMED_ADDRESS.exec(from);
  if (!named) return { address: from.trim() };
  const name = (named[1] ?? named[2] ?? "").trim();
  return name ? { name, address: named[3]!.trim() } : { address: named[3]!.trim() };
}

/** The bare address of a `from` value, or null when it is not one. */
export function senderAddress(from: string): string | null {
  const { address } = mailboxOf(from);
  return ADDRESS.test(address) ? address : null;
}

export const smtpDefinition: ProviderDefinition<SmtpConfig> = {
  channel: "email",
  name: "smtp",
  secretFields: ["password"],
  parse(input, existing) {
    const problems: SetupProblem[] = [];
    const known = ["provider", "host", "port", "secure", "username", "password", "from", "maxConnections"];
    for (const key of Object.keys(input)) {
      if (!known.includes(key)) problems.push({ field: key, message: "is not a field of the smtp set-up" });
    }
    const { host, port, secure, username, from, maxConnections } = input;
    if (
      maxConnections !== undefined &&
      (typeof maxConnections !== "number" ||
        !Number.isInteger(maxConnections) ||
        maxConnections < 1 ||
        maxConnections > 100)
    )
      problems.push({ field: "maxConnections", message: "must be a whole number from 1 to 100" });
    if (typeof host !== "string" || !/^[A-Za-z0-9.\-:[\]]{1,253}$/.test(host.trim()))
      problems.push({ field: "host", message: "must be a host name or IP address" });
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65_535)
      problems.push({ field: "port", message: "must be a port number (1–65535), e.g. 587 or 465" });
    if (secure !== undefined && typeof secure !== "boolean")
      problems.push({ field: "secure", message: "must be true (TLS, port 465) or false (STARTTLS)" });
    if (
      username !== undefined &&
      username !== null &&
      (typeof username !== "string" || username.length > 320)
    )
      problems.push({ field: "username", message: "must be a string" });
    let password = input.password;
    if (password === undefined && typeof username === "string" && username && existing?.password) {
      // A stored password goes only to the server it was given for: sent to another host,
      // port or account, it would hand the secret to whoever the set-up now names.
      const sameServer =
        typeof host === "string" &&
        host.trim().toLowerCase() === existing.host.toLowerCase() &&
        port === existing.port &&
        username === existing.username;
      if (sameServer) password = existing.password;
      else
        problems.push({
          field: "password",
          message: "must be sent again: the SMTP host, port or username changed",
        });
    } else if (
      password !== undefined &&
      password !== null &&
      (typeof password !== "string" || password.length > 1024)
    )
      problems.push({ field: "password", message: "must be a string" });
    else if (typeof username === "string" && username && typeof password !== "string")
      problems.push({ field: "password", message: "is required with a username" });
    if (typeof from !== "string" || senderAddress(from) === null)
      problems.push({ field: "from", message: 'must be an address, e.g. "Shop <news@shop.example>"' });
    if (problems.length > 0) return problems;
    return {
      host: (host as string).trim(),
      port: port as number,
      secure: secure === true,
      ...(typeof username === "string" && username ? { username, password: password as string } : {}),
      from: (from as string).trim(),
      ...(typeof maxConnections === "number" ? { maxConnections } : {}),
    };
  },
  redact({ password, ...rest }) {
    return { ...rest, passwordSet: typeof password === "string" && password.length > 0 };
  },
  outboundHosts: (config) => [{ field: "host", host: config.host }],
  create: (config, outbound) => new SmtpProvider(config, outbound),
};

/**
 * The TCP connection nodemailer speaks SMTP over (STARTTLS and TLS from the first byte
 * included: nodemailer upgrades it, checking the certificate against the host name), opened to
 * the address `outbound` checked at this moment — never to one nodemailer would resolve again.
 * The socket is handed over before it connects, so a refused address or a failed connection
 * reaches nodemailer as the socket's error, which fails the waiting message and frees its pool
 * slot (an error passed back from here instead would leave the slot taken for good).
 * Nagle's algorithm is off: SMTP is a ping-pong of short commands, and each could wait for the
 * peer's delayed ACK (~40 ms), which capped a connection at ~20 messages/s.
 */
function guardedSocket(outbound: Outbound, host: string, port: number) {
  return (_options: unknown, callback: (error: Error | null, options?: { connection: Socket }) => void) => {
    const socket = new Socket();
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    coalesceWrites(socket);
    callback(null, { connection: socket });
    outbound.resolve(host).then(
      ({ address }) => socket.connect({ host: address, port }),
      (error: Error) => socket.destroy(error),
    );
  };
}

/**
 * Writes made in one turn of the event loop leave in one syscall and packet. nodemailer
 * streams a message through its encoders in many small writes; with Nagle's algorithm off,
 * each was its own syscall and packet (a seventh of the sender's CPU at 1,000 emails/s).
 */
function coalesceWrites(socket: Socket): void {
  const write = socket.write;
  let corked = false;
  socket.write = function (this: Socket, ...args: Parameters<Socket["write"]>) {
    if (!corked) {
      corked = true;
      this.cork();
      setImmediate(() => {
        corked = false;
        this.uncork();
      });
    }
    return write.apply(this, args);
  } as Socket["write"];
}

/**
 * The random part of this process's MIME boundaries, drawn once; a counter makes each
 * message's own. A boundary only has to be absent from the parts it separates, which encoded
 * text cannot contain by chance.
 */
const BOUNDARY_STEM = `=_${randomBytes(8).toString("hex")}_`;
let boundaries = 0;

/** Connections an SMTP pool opens unless the set-up says `maxConnections`. */
export const SMTP_CONNECTIONS = 5;

/** Sends email through one pooled SMTP transport. */
export class SmtpProvider implements ChannelProvider<"email"> {
  readonly channel = "email" as const;
  readonly name = "smtp";
  readonly #transport: Transporter;
  readonly #domain: string;
  readonly #from: Mailbox;

  constructor(
    readonly config: SmtpConfig,
    outbound: Outbound,
  ) {
    this.#from = mailboxOf(config.from);
    this.#domain = senderAddress(config.from)?.split("@")[1] ?? "journeys.invalid";
    this.#transport = nodemailer.createTransport({
      pool: true,
      maxConnections: config.maxConnections ?? SMTP_CONNECTIONS,
      maxMessages: 100,
      host: config.host,
      port: config.port,
      secure: config.secure,
      // A password never crosses the network in the clear: without TLS from the first byte,
      // the connection must be upgraded with STARTTLS before AUTH, or nothing is sent.
      ...(config.username
        ? { auth: { user: config.username, pass: config.password ?? "" }, requireTLS: !config.secure }
        : {}),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      disableFileAccess: true,
      disableUrlAccess: true,
      getSocket: guardedSocket(outbound, config.host, config.port),
    });
  }

  /** The Message-ID a delivery gets, e.g. `<dlv_01…@shop.example>`. */
  messageId(idempotencyKey: string): string {
    return `<${idempotencyKey}@${this.#domain}>`;
  }

  async send(message: EmailMessage, options: SendOptions): Promise<SendResult> {
    const messageId = this.messageId(options.idempotencyKey);
    try {
      const raw = composeEmail({
        from: this.#from,
        to: message.to,
        subject: message.subject,
        html: message.html,
        text: message.text,
        headers: message.headers,
        messageId,
        date: new Date(),
        boundary: `${BOUNDARY_STEM}${(boundaries++).toString(36)}`,
      });
      await this.#transport.sendMail({
        envelope: { from: asciiDomain(this.#from.address), to: [asciiDomain(message.to)] },
        raw,
        // Given, so nodemailer neither makes up a Message-ID nor a boundary for the raw message
        // (random draws it would not use); `baseBoundary` is read though its types omit it.
        messageId,
        baseBoundary: BOUNDARY_STEM,
      } as SendMailOptions);
      return { ok: true, providerMessageId: messageId };
    } catch (error) {
      const failure = classifySmtpError(error);
      // A hard bounce: the receiving server says the mailbox does not exist (5.1.x). The
      // address is suppressed, so no later message tries it and hurts the sender's reputation.
      return failure.kind === "permanent" && /SMTP 5\d\d 5\.1\.\d+\)/.test(failure.message)
        ? { ...failure, gone: [message.to] }
        : failure;
    }
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}

/**
 * What an SMTP failure means for the delivery, in words fit for the tenant: the reply code and
 * enhanced status code (`550 5.1.1`) but never the remote's own text, which would hand back
 * whatever a server on the other end says (a banner, an internal host name) and let a set-up
 * map which ports answer.
 *
 * @example classifySmtpError({ responseCode: 550, response: "550 5.1.1 <ada@x.test>: no such user" })
 *   // → { ok: false, kind: "permanent", message: "the mail server refused the message (SMTP 550 5.1.1)" }
 */
export function classifySmtpError(error: unknown): SendFailure {
  if (error instanceof OutboundRefused) return { ok: false, kind: "retryable", message: error.message };
  const e = (error ?? {}) as {
    responseCode?: unknown;
    response?: unknown;
    code?: unknown;
    message?: unknown;
  };
  const code = typeof e.responseCode === "number" ? e.responseCode : null;
  const reply = typeof e.response === "string" ? e.response : "";
  const status = code === null ? "" : ` (SMTP ${code}${enhancedStatus(reply, code)})`;
  if (code === 530 || code === 535 || e.code === "EAUTH") {
    return {
      ok: false,
      kind: "retryable",
      message: `the SMTP server refused the login: check the username and password of the set-up${status}`,
    };
  }
  if (e.code === "ETLS") {
    return {
      ok: false,
      kind: "retryable",
      message:
        "the SMTP server did not set up TLS (STARTTLS), so the login was not sent: use a server " +
        "that offers STARTTLS, or port 465 with secure: true (check the set-up)",
    };
  }
  if (code !== null && code >= 500)
    return { ok: false, kind: "permanent", message: `the mail server refused the message${status}` };
  if (code !== null && code >= 400)
    return { ok: false, kind: "retryable", message: `the mail server deferred the message${status}` };
  return { ok: false, kind: "retryable", message: connectionTrouble(String(e.message ?? "")) };
}

/** The enhanced status code of a reply (RFC 3463, `5.1.1`), when its class matches the reply's. */
function enhancedStatus(reply: string, code: number): string {
  const found = /^\d{3}[ -](\d)\.(\d{1,3})\.(\d{1,3})\b/.exec(reply);
  return found && Number(found[1]) === Math.floor(code / 100) ? ` ${found[1]}.${found[2]}.${found[3]}` : "";
}

/** A failure without a reply, by kind only. */
function connectionTrouble(message: string): string {
  if (/ECONNREFUSED/.test(message)) return "could not connect to the SMTP server (connection refused)";
  if (/ENOTFOUND|EAI_AGAIN|did not resolve|has no address/.test(message))
    return "could not connect to the SMTP server (its host name does not resolve)";
  if (/ETIMEDOUT|timeout/i.test(message)) return "could not connect to the SMTP server (timed out)";
  if (/greeting|Invalid|unexpected/i.test(message))
    return "the server at the SMTP host and port does not answer as an SMTP server";
  return "the connection to the SMTP server failed";
}
