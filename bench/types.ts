/** A benchmark: measures itself and its baselines in one run, returns plain figures. */
export type Benchmark = (options: BenchOptions) => Promise<BenchFigures>;

export interface BenchOptions {
  /** A short run for CI and smoke checks. */
  quick: boolean;
  /** The largest workload the issue names. */
  full: boolean;
  log: (line: string) => void;
}

export interface BenchFigures {
  metrics: Record<string, number>;
  baselines: Record<string, number>;
  /** metric ÷ baseline, named after both. */
  ratios: Record<string, number>;
  notes?: string[];
}

export interface BenchResult extends BenchFigures {
  name: string;
  when: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  mode: "quick" | "standard" | "full";
  durationMs: number;
}
