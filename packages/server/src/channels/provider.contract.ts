import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Channel } from "@journeys/core";
import type { ChannelProvider, MessageFor } from "./provider";

/**
 * What every channel provider must do, run against each provider with a real (or faithfully
 * simulated) upstream — Hono's shared router suite, for providers. A provider file's test
 * calls `providerContract` with a harness for its upstream.
 *
 * @example
 *   providerContract("smtp", { setUp: async () => { const smtp = await startTestSmtpServer(); … } });
 */
export interface ProviderHarness<C extends Channel> {
  /** A provider talking to the harness's upstream. */
  provider: ChannelProvider<C>;
  /** A provider whose upstream cannot be reached (nothing listens there). */
  unreachable: ChannelProvider<C>;
  /** A message the upstream accepts, to `to`. */
  message(to: string): MessageFor<C>;
  /**
   * Whether the upstream itself dedupes a send on the idempotency key (an Idempotency-Key
   * header, or a Message-ID the provider derives from it). Twilio and Telegram have no such
   * key: for them the contract checks only that each send is its own message.
   */
  upstreamDedupes?: boolean;
  /** Two distinct addresses of this channel. */
  addresses: [string, string];
  /** How many messages the upstream has accepted so far. */
  accepted(): number;
  /** The upstream answers the next send with a temporary (retryable) refusal. */
  refuseTemporarily(): void;
  /** The upstream answers the next send with a permanent refusal. */
  refusePermanently(): void;
  tearDown(): Promise<void>;
}

export function providerContract<C extends Channel>(
  name: string,
  setUp: () => Promise<ProviderHarness<C>>,
): void {
  describe(`channel provider contract: ${name}`, () => {
    let h: ProviderHarness<C>;
    before(async () => {
      h = await setUp();
    });
    after(async () => {
      await h.provider.close();
      await h.unreachable.close();
      await h.tearDown();
    });

    it("sends and answers the provider's message id", async () => {
      const before = h.accepted();
      const result = await h.provider.send(h.message(h.addresses[0]), { idempotencyKey: "dlv_contract_1" });
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.ok(result.ok && result.providerMessageId.length > 0);
      assert.equal(h.accepted(), before + 1);
    });

    it("gives the same message id for the same idempotency key, another for another key", async () => {
      const a = await h.provider.send(h.message(h.addresses[0]), { idempotencyKey: "dlv_contract_2" });
      const b = await h.provider.send(h.message(h.addresses[1]), { idempotencyKey: "dlv_contract_2" });
      const c = await h.provider.send(h.message(h.addresses[0]), { idempotencyKey: "dlv_contract_3" });
      assert.ok(a.ok && b.ok && c.ok);
      if (h.upstreamDedupes !== false) assert.equal(a.providerMessageId, b.providerMessageId);
      else assert.notEqual(a.providerMessageId, b.providerMessageId);
      assert.notEqual(a.providerMessageId, c.providerMessageId);
    });

    it("answers a temporary refusal as retryable (or retry_after), without throwing", async () => {
      h.refuseTemporarily();
      const result = await h.provider.send(h.message(h.addresses[0]), { idempotencyKey: "dlv_contract_4" });
      assert.equal(result.ok, false);
      assert.ok(
        !result.ok && (result.kind === "retryable" || result.kind === "retry_after"),
        JSON.stringify(result),
      );
      assert.ok(!result.ok && result.message.length > 0);
      const again = await h.provider.send(h.message(h.addresses[0]), { idempotencyKey: "dlv_contract_4" });
      assert.equal(again.ok, true, "the provider recovers after a temporary refusal");
    });

    it("answers a permanent refusal as permanent", async () => {
      h.refusePermanently();
      const result = await h.provider.send(h.message(h.addresses[0]), { idempotencyKey: "dlv_contract_5" });
      assert.ok(!result.ok && result.kind === "permanent", JSON.stringify(result));
    });

    it("answers an unreachable upstream as retryable, without throwing", async () => {
      const result = await h.unreachable.send(h.message(h.addresses[0]), {
        idempotencyKey: "dlv_contract_6",
      });
      assert.ok(!result.ok && result.kind === "retryable", JSON.stringify(result));
    });
  });
}
