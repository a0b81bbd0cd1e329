/**
 * The checks a journey must pass before it is activated (DESIGN §1 "Validation on activation").
 * Every problem is reported at once, each with a stable code, the node it concerns (or null for
 * the journey as a whole) and a message a marketer can act on. Warnings are lint: they do not
 * block activation. The context is plain data the server fills from the store, so this stays pure.
 *
 * @example
 *   const { problems, warnings } = validateForActivation(definition, {
 *     segments: [{ id: "seg_new", evaluable: true }],
 *     forms: [],
 *     templates: [{ id: "tpl_hi", channel: "email" }],
 *     configuredChannels: ["email"],
 *     plan: checkLimit("growth", "journeys", activeJourneys),
 *   });
 *   if (problems.length > 0) return reply(422, problems);
 */
import type { PlanProblem } from "../plans/plans";
import { delayMs, type JourneyDefinition, type MessageChannel } from "./definition";
import { danglingEdges, findCycles, reachableFrom } from "./graph";

/** Stable codes. Never renamed: the UI and API clients match on them. */
export type ActivationProblemCode =
  | "entry_segment_missing"
  | "entry_form_missing"
  | "split_segment_missing"
  | "split_segment_not_evaluable"
  | "template_missing"
  | "template_channel_mismatch"
  | "channel_not_configured"
  | "fallback_template_missing"
  | "start_missing"
  | "dangling_next"
  | "cycle"
  | "orphan_node"
  | "bad_delay"
  | PlanProblem["code"];

export type ActivationWarningCode =
  | "split_branches_identical"
  | "message_mostly_unreachable"
  | "delay_over_a_year";

export interface ActivationProblem {
  code: ActivationProblemCode;
  nodeId: string | null;
  message: string;
}

export interface ActivationWarning {
  code: ActivationWarningCode;
  nodeId: string | null;
  message: string;
}

/** A plan verdict such as `checkLimit(plan, "journeys", current)` returns; its code is passed through. */
export type PlanCheck = { ok: true } | { ok: false; problem: { code: PlanProblem["code"]; message: string } };

/** What the store knows that the definition refers to. */
export interface ActivationContext {
  /** The business's segments; `evaluable` says whether a journey split can test membership in it. */
  segments: readonly { id: string; evaluable: boolean }[];
  forms: readonly { id: string }[];
  templates: readonly { id: string; channel: MessageChannel }[];
  /** Channels with a provider set up for this business. */
  configuredChannels: readonly MessageChannel[];
  /** May this business activate one more journey? */
  plan: PlanCheck;
  /** Per message node, when known: how many of the entry segment could receive it. */
  reach?: Readonly<Record<string, { reachable: number; total: number }>>;
}

export interface ActivationReport {
  problems: ActivationProblem[];
  warnings: ActivationWarning[];
}

const YEAR_MS = 365 * 86_400_000;

/**
 * Checks `definition` against `context`; activation may go ahead when `problems` is empty.
 *
 * @example validateForActivation(definition, context).problems.map((p) => p.code) // → ["cycle"]
 */
export function validateForActivation(
  definition: JourneyDefinition,
  context: ActivationContext,
): ActivationReport {
  const problems: ActivationProblem[] = [];
  const warnings: ActivationWarning[] = [];
  const problem = (code: ActivationProblemCode, nodeId: string | null, message: string) =>
    problems.push({ code, nodeId, message });
  const warn = (code: ActivationWarningCode, nodeId: string | null, message: string) =>
    warnings.push({ code, nodeId, message });

  if (!context.plan.ok) problem(context.plan.problem.code, null, context.plan.problem.message);

  const segments = new Map(context.segments.map((s) => [s.id, s]));
  const templates = new Map(context.templates.map((t) => [t.id, t]));
  const forms = new Set(context.forms.map((f) => f.id));
  const channels = new Set(context.configuredChannels);

  const { trigger } = definition;
  if (trigger.type === "segment" && !segments.has(trigger.segmentId)) {
    problem("entry_segment_missing", null, missing("entry segment", trigger.segmentId));
  }
  if (trigger.type === "form" && !forms.has(trigger.formId)) {
    problem("entry_form_missing", null, missing("entry form", trigger.formId));
  }

  const startExists = Object.hasOwn(definition.nodes, definition.start);
  if (!startExists) {
    problem("start_missing", null, `The journey starts at step "${definition.start}", which does not exist.`);
  }
  for (const { nodeId, edge, target } of danglingEdges(definition)) {
    const which = edge === "next" ? "goes on" : `sends its ${edge} branch`;
    problem("dangling_next", nodeId, `Step "${nodeId}" ${which} to step "${target}", which does not exist.`);
  }
  for (const cycle of findCycles(definition)) {
    const loop = [...cycle, cycle[0]].map((id) => `"${id}"`).join(" → ");
    problem("cycle", cycle[0] ?? null, `Steps loop back to step "${cycle[0]}": ${loop}. A journey must end.`);
  }
  if (startExists) {
    const reached = reachableFrom(definition, definition.start);
    for (const nodeId of Object.keys(definition.nodes)) {
      if (!reached.has(nodeId)) {
        problem("orphan_node", nodeId, `Step "${nodeId}" cannot be reached from the start of the journey.`);
      }
    }
  }

  for (const [nodeId, node] of Object.entries(definition.nodes)) {
    if (node.type === "message") {
      const template = templates.get(node.templateId);
      if (!template) {
        problem("template_missing", nodeId, templateMissing(nodeId, node.templateId));
      } else if (template.channel !== node.channel) {
        problem(
          "template_channel_mismatch",
          nodeId,
          `Step "${nodeId}" sends ${node.channel} but template ${quote(node.templateId)} is for ${template.channel}.`,
        );
      }
      if (!channels.has(node.channel)) {
        problem(
          "channel_not_configured",
          nodeId,
          `Step "${nodeId}" sends ${node.channel}, which is not set up.`,
        );
      }
      for (const channel of node.fallback ?? []) {
        const id = node.fallbackTemplates?.[channel];
        const fallbackTemplate = id ? templates.get(id) : undefined;
        if (!id || !fallbackTemplate) {
          problem(
            "fallback_template_missing",
            nodeId,
            id
              ? `Step "${nodeId}" falls back to ${channel} with template ${quote(id)}, which does not exist.`
              : `Step "${nodeId}" falls back to ${channel} but names no ${channel} template in fallbackTemplates.`,
          );
        } else if (fallbackTemplate.channel !== channel) {
          problem(
            "template_channel_mismatch",
            nodeId,
            `Step "${nodeId}" falls back to ${channel} but template ${quote(id)} is for ${fallbackTemplate.channel}.`,
          );
        }
        if (!channels.has(channel)) {
          problem(
            "channel_not_configured",
            nodeId,
            `Step "${nodeId}" falls back to ${channel}, which is not set up.`,
          );
        }
      }
      const reach = context.reach && Object.hasOwn(context.reach, nodeId) ? context.reach[nodeId] : undefined;
      if (reach && reach.total > 0 && reach.reachable / reach.total < 0.5) {
        const percent = Math.floor((reach.reachable / reach.total) * 100);
        warn(
          "message_mostly_unreachable",
          nodeId,
          `Only ${percent}% of the entry segment (${count(reach.reachable)} of ${count(reach.total)}) ` +
            `can receive ${node.channel} from step "${nodeId}".`,
        );
      }
    } else if (node.type === "split") {
      const segment = segments.get(node.segmentId);
      if (!segment) {
        problem(
          "split_segment_missing",
          nodeId,
          `Split "${nodeId}" uses segment ${quote(node.segmentId)}, which does not exist.`,
        );
      } else if (!segment.evaluable) {
        problem(
          "split_segment_not_evaluable",
          nodeId,
          `Split "${nodeId}" uses segment ${quote(node.segmentId)}, whose membership a journey cannot evaluate.`,
        );
      }
      if (node.true === node.false) {
        const where = node.true === null ? "end the journey" : `go to step "${node.true}"`;
        warn(
          "split_branches_identical",
          nodeId,
          `Both branches of split "${nodeId}" ${where}; the split decides nothing.`,
        );
      }
    } else if (!Number.isInteger(node.amount) || node.amount <= 0) {
      problem(
        "bad_delay",
        nodeId,
        `Delay "${nodeId}" must wait a whole number of ${node.unit} above 0, not ${node.amount}.`,
      );
    } else if (delayMs(node) > YEAR_MS) {
      warn(
        "delay_over_a_year",
        nodeId,
        `Delay "${nodeId}" waits ${node.amount} ${node.unit}, more than a year.`,
      );
    }
  }
  return { problems, warnings };
}

function templateMissing(nodeId: string, templateId: string): string {
  return templateId === ""
    ? `Step "${nodeId}" has no template.`
    : `Step "${nodeId}" uses template ${quote(templateId)}, which does not exist.`;
}

function missing(what: string, id: string): string {
  return id === "" ? `No ${what} is chosen.` : `The ${what} ${id} does not exist.`;
}

function quote(id: string): string {
  return id === "" ? "(none chosen)" : id;
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}
