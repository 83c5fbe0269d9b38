/**
 * The per-policy time series of the map's centre (guest free, isolated, host resident and
 * returned, OOM kills), as named series lines for charts: one line per (series, policy, seed),
 * `t` in ms from the exit. The HTML report reads exactly this shape.
 */
import type { MapConfig } from "./map.js";
import { runScenario, SERIES_NAMES, type SeriesName } from "./scenario.js";

/** One run's samples of one series. */
export interface SeriesLine {
  readonly series: SeriesName;
  readonly policy: string;
  readonly seed: number;
  readonly t: readonly number[];
  readonly y: readonly number[];
}

/** What each series is, for chart labels. */
export const SERIES_SPECS: readonly { readonly key: SeriesName; readonly label: string; readonly unit: string }[] = [
  { key: "guest_free_mib", label: "guest free", unit: "MiB" },
  { key: "isolated_mib", label: "isolated by reporting", unit: "MiB" },
  { key: "host_resident_mib", label: "host resident", unit: "MiB" },
  { key: "host_returned_mib", label: "host returned", unit: "MiB" },
  { key: "oom_kills", label: "OOM kills", unit: "" },
];

/** Run the centre of `c` once per policy and seed (first `seeds` seeds) with series kept. */
export function centreSeries(c: MapConfig, seeds = 1): SeriesLine[] {
  const out: SeriesLine[] = [];
  for (const policy of c.policies) {
    for (let s = 0; s < seeds; s++) {
      const seed = c.firstSeed + s;
      const r = runScenario({ ...c.base, policy, keepSeries: true }, seed);
      if (r.series === null) continue;
      for (const name of SERIES_NAMES) {
        if (name === "t_ms") continue;
        out.push({ series: name, policy, seed, t: r.series.t_ms, y: r.series[name] });
      }
    }
  }
  return out;
}
