/**
 * Running a journey in virtual time, with no I/O: for previews ("what would this customer get,
 * and when?"), for the editor's per-step counts, and for tests. It drives `step` exactly as the
 * engine does — enter, then wake at each `waitUntil` — so a simulation cannot drift from what
 * production does. Facts are fixed for the whole run.
 *
 * @example
 *   const run = simulate(definition, { isMember: () => true }, Date.UTC(2026, 0, 1));
 *   run.sends.map((s) => [s.nodeId, new Date(s.at).toISOString()]);
 */
import type { JourneyDefinition, MessageChannel } from "./definition";
import {
  type Enrollment,
  type EnrollmentFacts,
  type EnrollmentInput,
  type ExitReason,
  newEnrollment,
  type TrailEntry,
} from "./enrollment";
import { step } from "./step";

export interface SimulationOptions {
  /** Most steps to take; a guard only, since each node runs at most once. Default 10,000. */
  maxSteps?: number;
  /** Stop before any wake-up later than this (epoch ms); the result is then still waiting. */
  until?: number;
  /** When the customer leaves the entry segment (epoch ms), if they do. */
  leftSegmentAt?: number;
  /** Id of the simulated enrollment, which its delivery keys derive from. Default "sim". */
  enrollmentId?: string;
}

export interface SimulatedSend {
  at: number;
  nodeId: string;
  channel: MessageChannel;
  templateId: string;
  deliveryKey: string;
}

export interface Simulation {
  timeline: TrailEntry[];
  sends: SimulatedSend[];
  /** When it exited, or null when it was still waiting at the end of the simulation. */
  endedAt: number | null;
  exitReason: ExitReason | null;
  /** The enrollment as the simulation left it. */
  enrollment: Enrollment;
}

/**
 * Simulates one customer from `startAt` to the end of the journey (or `options.until`).
 *
 * @example simulate(definition, facts, 0, { leftSegmentAt: 3_600_000 }).exitReason // "left_segment"
 */
export function simulate(
  definition: JourneyDefinition,
  facts: EnrollmentFacts,
  startAt: number,
  options: SimulationOptions = {},
): Simulation {
  const maxSteps = options.maxSteps ?? 10_000;
  let leftAt = options.leftSegmentAt;
  let enrollment = newEnrollment({
    id: options.enrollmentId ?? "sim",
    journeyId: "sim",
    version: 1,
    customerId: "sim",
    run: 1,
  });
  const timeline: TrailEntry[] = [];
  const sends: SimulatedSend[] = [];
  let now = startAt;
  let endedAt: number | null = null;

  const apply = (input: EnrollmentInput) => {
    const result = step(definition, enrollment, input, now, facts);
    enrollment = result.enrollment;
    for (const command of result.commands) {
      if (command.type === "trail") timeline.push(command.entry);
      else if (command.type === "send") sends.push({ at: now, ...withoutType(command) });
      else if (command.type === "exited") endedAt = now;
    }
  };

  apply({ type: "enter" });
  for (let steps = 1; steps < maxSteps && enrollment.state === "waiting"; steps++) {
    const due = enrollment.waitUntil ?? now;
    if (leftAt !== undefined && leftAt <= due) {
      now = Math.max(now, leftAt);
      leftAt = undefined; // once: for non-segment triggers the input is ignored
      apply({ type: "left_segment" });
    } else if (options.until !== undefined && due > options.until) {
      break;
    } else {
      now = Math.max(now, due);
      apply({ type: "wake" });
    }
  }
  return { timeline, sends, endedAt, exitReason: enrollment.exitReason, enrollment };
}

function withoutType<T extends { type: string }>(command: T): Omit<T, "type"> {
  const { type: _type, ...rest } = command;
  return rest;
}

/** How many simulated customers did what at one node. */
export interface NodeCount {
  /** Timelines that ran this node. */
  reached: number;
  /** Messages queued here. */
  queued: number;
  trueBranch: number;
  falseBranch: number;
  /** Timelines that exited on this node (completed there, left or were archived while on it). */
  exitedHere: number;
}

/**
 * Sums many timelines (from `simulate`, or real trails) per node id, for the editor's
 * "how many customers reach each step" overlay.
 *
 * @example countPerNode(customers.map((c) => simulate(definition, factsFor(c), now).timeline))
 *   // → { welcome: { reached: 100, queued: 100, … }, check: { reached: 80, trueBranch: 30, … } }
 */
export function countPerNode(timelines: readonly (readonly TrailEntry[])[]): Record<string, NodeCount> {
  // A Map, not an object, while counting: node ids may be "__proto__" or "constructor".
  const counts = new Map<string, NodeCount>();
  const at = (nodeId: string) => {
    let count = counts.get(nodeId);
    if (!count) {
      count = { reached: 0, queued: 0, trueBranch: 0, falseBranch: 0, exitedHere: 0 };
      counts.set(nodeId, count);
    }
    return count;
  };
  for (const timeline of timelines) {
    const reached = new Set<string>();
    for (const entry of timeline) {
      if (entry.type === "queued") at(entry.nodeId).queued++;
      else if (entry.type === "branched") at(entry.nodeId)[entry.member ? "trueBranch" : "falseBranch"]++;
      else if (entry.type === "exited" && entry.nodeId !== null) at(entry.nodeId).exitedHere++;
      if (entry.type === "queued" || entry.type === "branched" || entry.type === "waiting") {
        reached.add(entry.nodeId);
      }
    }
    for (const nodeId of reached) at(nodeId).reached++;
  }
  return Object.fromEntries(counts);
}
