/** Hand-made report data for the report tests: a plain A/B with series, and a 2-axis sweep. */
import type { Cell, ReportData, SeriesLine } from "../../src/report/data.js";

const metrics = [
  { key: "p_oom", label: "P(OOM)", unit: "", digits: 2, description: "Share of runs with a failed allocation; 95 % Wilson interval." },
  { key: "returned", label: "host returned", unit: "MiB", digits: 1, description: "Mean host memory returned; 95 % t interval over seeds." },
] as const;

const policies = ["off", "fixed", "reserve"];

function series(key: string, policy: string, seed: number, k: number): SeriesLine {
  const t: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 40; i++) {
    t.push(i * 50);
    y.push(Math.round(100 * (k + Math.sin(i / 5 + k))) / 100);
  }
  return { series: key, policy, seed, t, y };
}

export const abData: ReportData = {
  experiment: "reporting-ab",
  title: "reporting-ab: fixture",
  summary: "A hand-made A/B for tests.",
  provenance: { version: "0.0.0", revision: "abc123", seeds: "1..4", config: { guestMiB: 512, policies } },
  policies,
  axes: [],
  metrics,
  headline: ["p_oom", "returned"],
  heatmap: null,
  tradeoff: { x: "returned", y: "p_oom" },
  cells: [
    { policy: "off", params: {}, seeds: 4, metrics: { p_oom: { value: 0, lo: 0, hi: 0.49 }, returned: { value: 0, lo: null, hi: null } } },
    { policy: "fixed", params: {}, seeds: 4, metrics: { p_oom: { value: 0.75, lo: 0.3, hi: 0.95 }, returned: { value: 210.5, lo: 190.25, hi: 230.75 } } },
    { policy: "reserve", params: {}, seeds: 4, metrics: { p_oom: { value: 0.25, lo: 0.05, hi: 0.7 }, returned: { value: 180.2, lo: 170, hi: 190.4 } } },
  ],
  seriesSpecs: [
    { key: "guest_free", label: "guest free", unit: "MiB" },
    { key: "isolated", label: "isolated", unit: "MiB" },
  ],
  series: policies.flatMap((p, i) => [series("guest_free", p, 2, i), series("guest_free", p, 1, i + 1), series("isolated", p, 1, i)]),
};

const sweepCells: Cell[] = [];
for (const p of policies) {
  for (const g of [256, 512, 1024]) {
    for (const o of [9, 10]) {
      const v = Math.min(1, (p === "off" ? 0 : 1) * (o - 8) * (256 / g) * 0.5);
      sweepCells.push({ policy: p, params: { guestMiB: g, order: o }, seeds: 3, metrics: { p_oom: { value: v, lo: Math.max(0, v - 0.2), hi: Math.min(1, v + 0.2) }, returned: { value: g / 4, lo: g / 4 - 5, hi: g / 4 + 5 } } });
    }
  }
}

export const sweepData: ReportData = {
  ...abData,
  title: "reporting-ab sweep: fixture",
  axes: ["guestMiB", "order"],
  heatmap: "p_oom",
  cells: sweepCells,
  seriesSpecs: [],
  series: [],
};
