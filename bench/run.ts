import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { Benchmark, BenchResult } from "./types";

/**
 * Runs one benchmark and writes bench/results/NAME.json. Figures are only compared as ratios
 * against baselines measured in the same run: the machine is shared and noisy.
 */
async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (!name) throw new Error("bench name missing");
  const quick = args.includes("--quick");
  const full = args.includes("--full");
  const bench = (await import(`./${name}/index.ts`)).default as Benchmark;
  const started = Date.now();
  const { metrics, baselines, ratios, notes } = await bench({
    quick,
    full,
    log: (line) => console.log(`  ${line}`),
  });
  const result: BenchResult = {
    name,
    when: new Date(started).toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    mode: quick ? "quick" : full ? "full" : "standard",
    durationMs: Date.now() - started,
    metrics,
    baselines,
    ratios,
    notes,
  };
  const path = join(import.meta.dirname, "results", `${name}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${name} (${result.mode}, ${(result.durationMs / 1000).toFixed(1)} s)`);
  for (const [key, value] of Object.entries(metrics)) console.log(`  ${key.padEnd(44)} ${fmt(value)}`);
  for (const [key, value] of Object.entries(baselines))
    console.log(`  baseline ${key.padEnd(35)} ${fmt(value)}`);
  for (const [key, value] of Object.entries(ratios))
    console.log(`  ratio ${key.padEnd(38)} ${value.toFixed(2)}`);
  console.log(`wrote ${path}`);
}

function fmt(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString("en-US") : value.toFixed(2);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
