/**
 * Graph facts about a definition, used by activation checks and the editor: which references
 * point nowhere, which nodes the start reaches, where the graph loops. All walks are iterative,
 * so a long chain of nodes cannot overflow the stack.
 *
 * @example
 *   findCycles(definition) // → [["a", "b"]] when a → b → a
 */
import { type Edge, edgesOf, type JourneyDefinition, nodeAt } from "./definition";

/** A reference to a node id that is not in `nodes`. */
export interface DanglingEdge {
  nodeId: string;
  edge: Edge;
  target: string;
}

/** @example danglingEdges(definition) // → [{ nodeId: "a", edge: "next", target: "gone" }] */
export function danglingEdges(definition: JourneyDefinition): DanglingEdge[] {
  const out: DanglingEdge[] = [];
  for (const [nodeId, node] of Object.entries(definition.nodes)) {
    for (const { edge, target } of edgesOf(node)) {
      if (target !== null && !nodeAt(definition, target)) out.push({ nodeId, edge, target });
    }
  }
  return out;
}

/** The ids of existing nodes that directly follow `id`, without repeats. */
function successors(definition: JourneyDefinition, id: string): string[] {
  const node = nodeAt(definition, id);
  if (!node) return [];
  const out: string[] = [];
  for (const { target } of edgesOf(node)) {
    if (target !== null && nodeAt(definition, target) && !out.includes(target)) out.push(target);
  }
  return out;
}

/**
 * Every node reachable from `from` (inclusive), or an empty set when `from` is not a node.
 *
 * @example reachableFrom(definition, definition.start).has("nudge")
 */
export function reachableFrom(definition: JourneyDefinition, from: string): Set<string> {
  const seen = new Set<string>();
  if (!nodeAt(definition, from)) return seen;
  const stack = [from];
  seen.add(from);
  while (stack.length > 0) {
    for (const next of successors(definition, stack.pop()!)) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

/**
 * The cycles of the graph, one per back edge found by a depth-first walk from every node (in
 * `nodes` order). Each cycle lists its node ids in walking order, starting at the node the
 * back edge returns to.
 *
 * @example findCycles(definition) // → [["a", "b"]] for a → b → a; [["c"]] for c → c
 */
export function findCycles(definition: JourneyDefinition): string[][] {
  const done = new Set<string>();
  const cycles: string[][] = [];
  for (const root of Object.keys(definition.nodes)) {
    if (done.has(root)) continue;
    // path = the current DFS branch; each frame keeps the successors still to visit.
    const path: string[] = [root];
    const onPath = new Set([root]);
    const pending: string[][] = [successors(definition, root)];
    while (path.length > 0) {
      const next = pending[pending.length - 1]!.shift();
      if (next === undefined) {
        const leaving = path.pop()!;
        onPath.delete(leaving);
        done.add(leaving);
        pending.pop();
      } else if (onPath.has(next)) {
        cycles.push(path.slice(path.indexOf(next)));
      } else if (!done.has(next)) {
        path.push(next);
        onPath.add(next);
        pending.push(successors(definition, next));
      }
    }
  }
  return cycles;
}
