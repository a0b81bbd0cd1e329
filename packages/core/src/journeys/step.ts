/**
 * The enrollment interpreter: `step` moves one enrollment through its journey in response to one
 * input, and says what the caller must do. It is pure and total — any definition, enrollment and
 * input give a result, never an exception — so workers can batch and retry steps freely.
 *
 *            enter                     wake (due)
 *   active ─────────▶ ┌──────────┐ ◀───────────── waiting ◀─┐
 *                     │   walk   │                          │ delay node:
 *                     │ message, │ ─────────────────────────┘ wake_at(now + delay)
 *                     │  split   │
 *                     └──────────┘ ── end (null) ──▶ exited (completed)
 *   active | waiting ── left_segment / archive ───▶ exited (left_segment | archived)
 *
 * - `active`: created, not yet entered. Only `enter` walks it (from the start node).
 * - `waiting`: parked at a delay until `waitUntil`. An early `wake` only re-emits `wake_at`.
 * - `exited`: final. Every input is a no-op.
 * One call walks message and split nodes until the enrollment waits at a delay or exits, so
 * after any step it is `waiting` or `exited` (or still `active` if the input did not apply).
 * Each node runs at most once per enrollment: `visited` guards it even though activation
 * forbids cycles, so a bad definition ends in `definition_invalid` rather than a loop.
 *
 * Pause needs nothing from here: a paused journey enrolls no one new, and in-flight enrollments
 * keep stepping and receive their messages. Archive is the `archive` input, sent to each
 * in-flight enrollment. `left_segment` applies only to segment-triggered journeys; for other
 * triggers it is ignored, since the customer never had to be in a segment.
 *
 * @example
 *   const { enrollment, commands } = step(definition, newEnrollment(ids), { type: "enter" }, now, {
 *     isMember: (segmentId) => memberships.has(segmentId),
 *   });
 *   // commands: trail entries, send {deliveryKey}, then wake_at or exited
 */
import { delayMs, fallbackChain, type JourneyDefinition, nodeAt } from "./definition";
import {
  deliveryKey,
  type Enrollment,
  type EnrollmentCommand,
  type EnrollmentFacts,
  type EnrollmentInput,
  type ExitReason,
} from "./enrollment";
import { MAX_TIME, trail } from "./trail";

export interface StepResult {
  /** The new enrollment; the very same object when the input changed nothing. */
  enrollment: Enrollment;
  commands: EnrollmentCommand[];
}

/**
 * Applies `input` to `enrollment` at time `now` (epoch ms). `definition` must be the version the
 * enrollment entered with. Never mutates its arguments.
 *
 * @example step(definition, waiting, { type: "wake" }, waiting.waitUntil!, facts)
 */
export function step(
  definition: JourneyDefinition,
  enrollment: Enrollment,
  input: EnrollmentInput,
  now: number,
  facts: EnrollmentFacts,
): StepResult {
  const unchanged: StepResult = { enrollment, commands: [] };
  if (enrollment.state === "exited") return unchanged;

  switch (input.type) {
    case "enter": {
      if (enrollment.state !== "active" || enrollment.visited.length > 0) return unchanged;
      const commands: EnrollmentCommand[] = [{ type: "trail", entry: trail.entered(now, definition.start) }];
      return walk(definition, enrollment, definition.start, now, facts, commands);
    }
    case "wake": {
      if (enrollment.state !== "waiting") return unchanged;
      const { waitUntil, nodeId } = enrollment;
      if (waitUntil !== null && now < waitUntil)
        return { enrollment, commands: [{ type: "wake_at", at: waitUntil }] };
      const node = nodeId === null ? undefined : nodeAt(definition, nodeId);
      if (node?.type !== "delay") {
        const why = `it was waiting at "${nodeId}", which is not a delay in version ${enrollment.version}`;
        return exit(enrollment, [], now, "definition_invalid", why);
      }
      const commands: EnrollmentCommand[] = [
        { type: "trail", entry: trail.waited(now, nodeId!, waitUntil ?? now) },
      ];
      return walk(definition, enrollment, node.next, now, facts, commands);
    }
    case "left_segment": {
      if (definition.trigger.type !== "segment") return unchanged;
      const why = `left the entry segment ${definition.trigger.segmentId}`;
      return exit(enrollment, [], now, "left_segment", why);
    }
    case "archive":
      return exit(enrollment, [], now, "archived", "the journey was archived");
    default:
      return unchanged;
  }
}

/** Runs nodes from `from` until a delay parks the enrollment or the path ends. */
function walk(
  definition: JourneyDefinition,
  before: Enrollment,
  from: string | null,
  now: number,
  facts: EnrollmentFacts,
  commands: EnrollmentCommand[],
): StepResult {
  const visited = [...before.visited];
  const seen = new Set(visited);
  let at = before.nodeId;
  let current = from;
  for (;;) {
    const moved: Enrollment = { ...before, nodeId: at, visited };
    if (current === null) {
      const why = at === null ? "the journey has no steps" : `reached the end after step "${at}"`;
      return exit(moved, commands, now, "completed", why);
    }
    if (seen.has(current)) {
      const why = `step "${current}" would run a second time, and a journey runs each step at most once`;
      return exit(moved, commands, now, "definition_invalid", why);
    }
    const node = nodeAt(definition, current);
    if (!node) {
      const why = `step "${current}" does not exist in version ${before.version}`;
      return exit(moved, commands, now, "definition_invalid", why);
    }
    visited.push(current);
    seen.add(current);
    at = current;

    if (node.type === "message") {
      const key = deliveryKey(before.id, current);
      const { channel, templateId } = node;
      const fallback = fallbackChain(node);
      commands.push({
        type: "send",
        nodeId: current,
        channel,
        templateId,
        deliveryKey: key,
        ...(fallback.length > 0 ? { fallback } : {}),
      });
      commands.push({ type: "trail", entry: trail.queued(now, current, node, key) });
      current = node.next;
    } else if (node.type === "split") {
      const member = facts.isMember(node.segmentId);
      commands.push({ type: "trail", entry: trail.branched(now, current, node.segmentId, member) });
      current = member ? node.true : node.false;
    } else {
      // A wait that is not positive (only if validation was bypassed) waits zero; the clamp
      // keeps a huge delay a finite, storable time.
      const wait = delayMs(node);
      const until = wait > 0 ? Math.min(now + wait, MAX_TIME) : now;
      commands.push({ type: "trail", entry: trail.waiting(now, current, node, until) });
      commands.push({ type: "wake_at", at: until });
      return {
        enrollment: { ...before, state: "waiting", nodeId: current, waitUntil: until, visited },
        commands,
      };
    }
  }
}

function exit(
  enrollment: Enrollment,
  commands: EnrollmentCommand[],
  now: number,
  reason: ExitReason,
  why: string,
): StepResult {
  commands.push({ type: "trail", entry: trail.exited(now, enrollment.nodeId, reason, why) });
  commands.push({ type: "exited", reason });
  return { enrollment: { ...enrollment, state: "exited", waitUntil: null, exitReason: reason }, commands };
}
