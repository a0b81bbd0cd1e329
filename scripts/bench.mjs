#!/usr/bin/env node
// npm run bench -- NAME [--quick]
// Runs bench/NAME/index.ts, prints its figures and its ratios against the baselines it
// measured in the same run, and writes bench/results/NAME.json.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(join(root, "bench"), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, "bench", d.name, "index.ts")))
  .map((d) => d.name);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [--quick]\nbenchmarks: ${available.join(", ")}`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench/run.ts"), name, ...rest], {
  stdio: "inherit",
  cwd: root,
});
process.exit(result.status ?? 1);
