import { notifyWork } from "../engine/signals";
import type { ErrorKind } from "../errors";
import { countIngested } from "../ops/domain-metrics";
import type { Resources } from "../resources";
import { ingestQueue } from "./group-commit";
import {
  INGEST_LIMITS,
  type IngestMessage,
  type MessageType,
  messageShapeProblem,
  parseMessage,
} from "./messages";

export interface RejectedMessage {
  index: number;
  messageId: string | null;
  code: string;
  message: string;
  /** e.g. a plan limit's plan, limit and upgrade. */
  details?: unknown;
  /** How the refusal maps to HTTP when it is a call's only message (not sent in the list). */
  kind: ErrorKind;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: RejectedMessage[];
}

/**
 * Ingests a call's messages for one business: invalid ones are listed, valid ones are applied
 * in one transaction (shared with calls that arrived meanwhile: see group-commit.ts), and this
 * resolves only after that transaction is durable — so an acknowledged event is never lost.
 */
export async function ingest(
  r: Resources,
  businessId: string,
  raws: readonly unknown[],
  options: { pathType?: MessageType; batchSentAt?: unknown } = {},
): Promise<IngestResult> {
  const receivedAt = r.clock.now();
  const rejected: RejectedMessage[] = [];
  const valid: { index: number; message: IngestMessage }[] = [];
  raws.forEach((raw, index) => {
    const messageId = messageIdOf(raw);
    // First: a value nested thousands deep would overflow the stack of JSON.stringify below.
    const shape = messageShapeProblem(raw);
    if (shape) {
      rejected.push({ index, messageId, kind: "bad_request", ...shape });
      return;
    }
    if (Buffer.byteLength(JSON.stringify(raw)) > INGEST_LIMITS.messageBytes) {
      rejected.push({
        index,
        messageId,
        kind: "payload_too_large",
        code: "message_too_large",
        message: `a message is at most ${INGEST_LIMITS.messageBytes} bytes`,
      });
      return;
    }
    const parsed = parseMessage(raw, receivedAt, options);
    if (parsed.ok) valid.push({ index, message: parsed.message });
    else rejected.push({ index, messageId, kind: "bad_request", ...parsed.problem });
  });
  if (valid.length === 0) return countIngested(r, { accepted: 0, duplicates: 0, rejected });

  const outcomes = await ingestQueue(r).submit({
    businessId,
    messages: valid.map((v) => v.message),
    now: receivedAt,
  });
  // Memberships changed or journeys were entered: wake the engine now rather than at its next poll.
  notifyWork(r.store);
  let accepted = 0;
  let duplicates = 0;
  outcomes.forEach((outcome, i) => {
    const { index, message } = valid[i]!;
    if (outcome.status === "accepted") accepted++;
    else if (outcome.status === "duplicate") duplicates++;
    else {
      const { status: _, ...refusal } = outcome;
      rejected.push({ index, messageId: message.messageId, ...refusal });
    }
  });
  rejected.sort((a, b) => a.index - b.index);
  return countIngested(r, { accepted, duplicates, rejected });
}

function messageIdOf(raw: unknown): string | null {
  const id = typeof raw === "object" && raw !== null ? (raw as { messageId?: unknown }).messageId : undefined;
  return typeof id === "string" ? id : null;
}
