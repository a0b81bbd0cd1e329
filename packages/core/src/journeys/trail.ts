/**
 * Builders for trail entries, so every decision is worded the same way wherever it is made.
 * Internal to the journeys folder: callers read `TrailEntry` values, they do not build them.
 *
 * @example trail.branched(now, "check", "seg_vip", true).message
 *   // → 'Took the true branch of split "check": a member of segment seg_vip.'
 */
import type { DelayNode, MessageNode } from "./definition";
import type { ExitReason, TrailEntry } from "./enrollment";

/** The largest time a JavaScript Date can show; later wake-ups are clamped to it. */
export const MAX_TIME = 8_640_000_000_000_000;

/** ISO 8601 in UTC, so a trail reads the same in every time zone. */
export function formatTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME ? new Date(ms).toISOString() : `${ms} ms`;
}

function plural(amount: number, unit: DelayNode["unit"]): string {
  return `${amount} ${amount === 1 ? unit.slice(0, -1) : unit}`;
}

export const trail = {
  entered(at: number, start: string): TrailEntry {
    return { type: "entered", at, nodeId: start, message: `Entered the journey at step "${start}".` };
  },

  waiting(at: number, nodeId: string, node: DelayNode, until: number): TrailEntry {
    const message = `Waiting ${plural(node.amount, node.unit)} at delay "${nodeId}", until ${formatTime(until)}.`;
    return { type: "waiting", at, nodeId, until, message };
  },

  waited(at: number, nodeId: string, until: number): TrailEntry {
    return {
      type: "waited",
      at,
      nodeId,
      until,
      message: `Waited at delay "${nodeId}" until ${formatTime(until)}.`,
    };
  },

  branched(at: number, nodeId: string, segmentId: string, member: boolean): TrailEntry {
    const branch = member ? "true" : "false";
    const why = member ? "a member" : "not a member";
    const message = `Took the ${branch} branch of split "${nodeId}": ${why} of segment ${segmentId}.`;
    return { type: "branched", at, nodeId, segmentId, member, branch, message };
  },

  queued(at: number, nodeId: string, node: MessageNode, deliveryKey: string): TrailEntry {
    const message = `Queued ${node.channel} message "${nodeId}" with template ${node.templateId}.`;
    return {
      type: "queued",
      at,
      nodeId,
      channel: node.channel,
      templateId: node.templateId,
      deliveryKey,
      message,
    };
  },

  exited(at: number, nodeId: string | null, reason: ExitReason, why: string): TrailEntry {
    return { type: "exited", at, nodeId, reason, message: `Exited: ${why}.` };
  },
};
