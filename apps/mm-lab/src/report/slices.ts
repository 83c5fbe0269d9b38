/**
 * Heatmap slices of a map with more than two axes: the planes (x, y, the other axes fixed) on
 * which every x × y combination was run. A full product (a grid sweep) gives one plane per
 * combination of the other axes over the first two; reporting-ab's "slices" layout (delay × host
 * through the centre, freed × guest through the centre) gives its two planes. A plane whose cells
 * all lie in planes already taken is skipped, so each cell is drawn once where it can be.
 */
import type { Cell, HeatmapSlice, ParamValue } from "./data.js";

/** Slices drawn at most (each is one heatmap per policy); the table has every cell. */
export const SLICES_MAX = 12;

/** The full planes over `axes` (in axis order), at most `max`; [] for two axes or fewer. */
export function fullSlices(axes: readonly string[], cells: readonly Cell[], max = SLICES_MAX): HeatmapSlice[] {
  if (axes.length <= 2) return [];
  const out: HeatmapSlice[] = [];
  const covered = new Set<Cell>();
  for (let i = 0; i < axes.length; i++)
    for (let j = i + 1; j < axes.length; j++) {
      const x = axes[i] ?? "";
      const y = axes[j] ?? "";
      const rest = axes.filter((a) => a !== x && a !== y);
      const groups = new Map<string, { fixed: Record<string, ParamValue>; cells: Cell[] }>();
      for (const c of cells) {
        const key = JSON.stringify(rest.map((a) => c.params[a] ?? null));
        let g = groups.get(key);
        if (g === undefined) {
          const fixed: Record<string, ParamValue> = {};
          for (const a of rest) fixed[a] = c.params[a] ?? "";
          groups.set(key, (g = { fixed, cells: [] }));
        }
        g.cells.push(c);
      }
      for (const g of groups.values()) {
        const xs = new Set(g.cells.map((c) => c.params[x]));
        const ys = new Set(g.cells.map((c) => c.params[y]));
        if (xs.size < 2 || ys.size < 2) continue;
        // Every policy ran every x × y here (a cross through a centre is not a plane).
        const byPolicy = new Map<string, Set<string>>();
        for (const c of g.cells) {
          const s = byPolicy.get(c.policy) ?? new Set<string>();
          s.add(JSON.stringify([c.params[x], c.params[y]]));
          byPolicy.set(c.policy, s);
        }
        if (![...byPolicy.values()].every((s) => s.size === xs.size * ys.size)) continue;
        if (g.cells.every((c) => covered.has(c))) continue;
        for (const c of g.cells) covered.add(c);
        out.push({ x, y, fixed: g.fixed });
        if (out.length >= max) return out;
      }
    }
  return out;
}
