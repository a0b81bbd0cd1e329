import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JourneyDefinition } from "./definition";
import { newEnrollment } from "./enrollment";
import { parseDefinition } from "./parse";
import { step } from "./step";
import { validateForActivation } from "./validate";

const input = {
  trigger: { type: "event", event: "Signed Up" },
  start: "hi",
  nodes: {
    hi: {
      type: "message",
      channel: "whatsapp",
      templateId: "tpl_wa",
      fallback: ["sms", "email"],
      fallbackTemplates: { sms: "tpl_sms", email: "tpl_mail" },
      next: null,
    },
  },
};

describe("fallback channels of a message step", () => {
  it("parses the list and its templates, refusing repeats, the step's own channel and unknown channels", () => {
    const parsed = parseDefinition(input);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value.nodes.hi, input.nodes.hi);

    const bad = (node: Record<string, unknown>) => {
      const result = parseDefinition({ ...input, nodes: { hi: { ...input.nodes.hi, ...node } } });
      assert.ok(!result.ok);
      return result.error.map((p) => `${p.path} ${p.code}`);
    };
    assert.deepEqual(bad({ fallback: ["whatsapp"] }), ["$.nodes.hi.fallback[0] invalid_value"]);
    assert.deepEqual(bad({ fallback: ["sms", "sms"] }), ["$.nodes.hi.fallback[1] invalid_value"]);
    assert.deepEqual(bad({ fallback: ["fax"] }), ["$.nodes.hi.fallback[0] invalid_value"]);
    assert.deepEqual(bad({ fallback: "sms" }), ["$.nodes.hi.fallback invalid_type"]);
    assert.deepEqual(bad({ fallbackTemplates: { sms: 3 } }), [
      "$.nodes.hi.fallbackTemplates.sms invalid_type",
    ]);
  });

  it("needs a template of the right channel, set up, for every fallback channel before activation", () => {
    const parsed = parseDefinition({
      ...input,
      nodes: { hi: { ...input.nodes.hi, fallbackTemplates: { sms: "tpl_mail" } } },
    });
    assert.ok(parsed.ok);
    const result = validateForActivation(parsed.value, {
      segments: [],
      forms: [],
      templates: [
        { id: "tpl_wa", channel: "whatsapp" },
        { id: "tpl_mail", channel: "email" },
      ],
      configuredChannels: ["whatsapp", "email"],
      plan: { ok: true },
    });
    assert.deepEqual(
      result.problems.map((p) => `${p.code} ${p.nodeId}`),
      ["template_channel_mismatch hi", "channel_not_configured hi", "fallback_template_missing hi"],
    );
    assert.match(result.problems[2]!.message, /falls back to email but names no email template/);
  });

  it("hands the chain to the send command, in order", () => {
    const parsed = parseDefinition(input);
    assert.ok(parsed.ok);
    const definition: JourneyDefinition = parsed.value;
    const fresh = newEnrollment({ id: "enr_1", journeyId: "jrn_1", version: 1, customerId: "cus_1", run: 1 });
    const { commands } = step(definition, fresh, { type: "enter" }, 0, { isMember: () => false });
    const send = commands.find((c) => c.type === "send");
    assert.deepEqual(send, {
      type: "send",
      nodeId: "hi",
      channel: "whatsapp",
      templateId: "tpl_wa",
      deliveryKey: "enr_1:hi",
      fallback: [
        { channel: "sms", templateId: "tpl_sms" },
        { channel: "email", templateId: "tpl_mail" },
      ],
    });
  });
});
