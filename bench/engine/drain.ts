import type { ManualClock } from "../../packages/server/src/clock";
import { DefinitionCache } from "../../packages/server/src/engine/definitions";
import { runDue } from "../../packages/server/src/engine/run-due";
import type { Resources } from "../../packages/server/src/resources";
import { DAY } from "./setup";

export interface DrainFigures {
  calls: number;
  nodes: number;
  transactions: number;
  seconds: number;
  batchMs: number[];
}

/** Drains the workload with the manual clock: everything due now, then one day later. */
export async function drain(r: Resources, clock: ManualClock, batch: number): Promise<DrainFigures> {
  const definitions = new DefinitionCache();
  const figures: DrainFigures = { calls: 0, nodes: 0, transactions: 0, seconds: 0, batchMs: [] };
  const started = performance.now();
  for (const advance of [0, DAY]) {
    clock.advance(advance);
    for (;;) {
      const t = performance.now();
      const result = await runDue(r, definitions, { limit: batch });
      if (result.processed === 0) break;
      figures.batchMs.push(performance.now() - t);
      figures.calls += result.processed;
      figures.nodes += result.nodes;
      figures.transactions++;
    }
  }
  figures.seconds = (performance.now() - started) / 1000;
  return figures;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}
