import type { ManualClock } from "../../packages/server/src/clock";
import { DefinitionCache } from "../../packages/server/src/engine/definitions";
import { defaultLanes, runDueLanes } from "../../packages/server/src/engine/loop";
import type { Resources } from "../../packages/server/src/resources";
import { DAY } from "./setup";

export interface DrainFigures {
  calls: number;
  nodes: number;
  transactions: number;
  /** Transactions in flight at once (the worker's default lanes for the store). */
  lanes: number;
  seconds: number;
  roundMs: number[];
}

/**
 * Drains the workload with the manual clock: everything due now, then one day later, in
 * rounds as the worker runs them (on PostgreSQL, several lanes of `batch` calls at once).
 */
export async function drain(r: Resources, clock: ManualClock, batch: number): Promise<DrainFigures> {
  const definitions = new DefinitionCache();
  const lanes = defaultLanes(r);
  const figures: DrainFigures = { calls: 0, nodes: 0, transactions: 0, lanes, seconds: 0, roundMs: [] };
  const started = performance.now();
  for (const advance of [0, DAY]) {
    clock.advance(advance);
    for (;;) {
      const t = performance.now();
      const result = await runDueLanes(r, definitions, { limit: batch, lanes });
      if (result.processed === 0) break;
      figures.roundMs.push(performance.now() - t);
      figures.calls += result.processed;
      figures.nodes += result.nodes;
      figures.transactions += result.transactions;
    }
  }
  figures.seconds = (performance.now() - started) / 1000;
  return figures;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}
