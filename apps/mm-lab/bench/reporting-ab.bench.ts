// The whole default reporting-ab experiment (the control + 6 policies x 10 seeds, 512 MiB guest,
// about 28 simulated seconds per run) against a baseline measured in the same run: the same
// scenario with reporting off. After the benches it prints simulated seconds per wall-clock second.
import { afterAll, bench, describe } from "vitest";
import { DEFAULT_AB, runAb } from "../src/experiments/reporting/ab.js";

// Totals per bench (wall time of the harness only; nothing in the model reads it).
const measured: Record<string, { simNs: number; wallMs: number; cpuMs: number; runs: number }> = {};

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function timed(label: string, policies: readonly string[]): () => void {
  return () => {
    const t0 = performance.now();
    const c0 = cpuMs();
    const rows = runAb({ ...DEFAULT_AB, policies });
    const m = (measured[label] ??= { simNs: 0, wallMs: 0, cpuMs: 0, runs: 0 });
    m.wallMs += performance.now() - t0;
    m.cpuMs += cpuMs() - c0;
    for (const r of rows) {
      m.simNs += r.simNs;
      m.runs += r.seeds;
    }
    // the work was the real workload: the kernel's policy reproduces the OOM
    const fixed = rows.find((r) => r.policy === "fixed");
    if (fixed !== undefined && fixed.allocFailures === 0) throw new Error("the fixed policy did not OOM");
  };
}

afterAll(() => {
  for (const [label, m] of Object.entries(measured)) {
    console.log(
      `reporting-ab ${label}: ${m.runs} runs, ${(m.simNs / 1e9).toFixed(0)} simulated s in ${(m.wallMs / 1000).toFixed(2)} wall s ` +
        `= ${(m.simNs / 1e9 / (m.wallMs / 1000)).toFixed(0)} simulated s per wall s (${(m.wallMs / m.runs).toFixed(1)} ms per run, ` +
        `${(m.cpuMs / m.runs).toFixed(1)} ms CPU per run)`,
    );
  }
});

describe("reporting-ab default experiment, 10 seeds", () => {
  bench("baseline: reporting off x 10 seeds", timed("off x 10", ["off"]), { iterations: 3, time: 0, warmupIterations: 1 });
  bench(`default: ${DEFAULT_AB.policies.length} rows x 10 seeds`, timed("default", DEFAULT_AB.policies), {
    iterations: 3,
    time: 0,
    warmupIterations: 1,
  });
});
