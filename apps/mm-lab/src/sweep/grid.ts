/**
 * The points a sweep visits: a cartesian grid (`a=0..4000:250,b=250,1000,4000`) or a seeded
 * Latin-hypercube sample (`lhs:200`) over ranges (`a=0..4000,b=250..4000`). Values are parsed by
 * the parameter's own spec, so "2s" and "1G" work and every point is valid before anything runs.
 * List-of-enum axes (alloc-stall's scenarios) take one value per cell.
 */
import { MmError } from "@mm/api";
import { createPrng } from "@mm/sim";
import { type AnyConfig, checkValue, isAxis, type ParamSpace, type ParamSpec, type ParamValue, parseValue } from "../params.js";

/** One axis: a parameter and the values it takes (grid) or its range / choices (sample). */
export interface Axis {
  readonly name: string;
  readonly values: readonly ParamValue[];
  /** `lo..hi` without a step: a continuous range for sampling. */
  readonly range?: readonly [number, number];
}

const NUMERIC = new Set(["int", "float", "duration", "size"]);

function axisSpec(space: ParamSpace, name: string): ParamSpec {
  const s = space[name];
  if (s === undefined) throw new MmError("EINVAL", `--grid: unknown parameter "${name}" (known: ${Object.keys(space).filter((k) => isAxis(space[k])).join(", ")})`);
  if (!isAxis(s)) throw new MmError("EINVAL", `--grid: ${name} is not a sweep axis`);
  return s;
}

/** `lo..hi:step` -> values, parsed by the spec (inclusive of hi when a step lands on it). */
function expandRange(name: string, s: ParamSpec, text: string): { values: ParamValue[]; range?: [number, number] } {
  const m = /^(.+?)\.\.(.+?)(?::(.+))?$/.exec(text);
  if (m === null) return { values: [parseValue(name, s, text)] };
  if (!NUMERIC.has(s.kind)) throw new MmError("EINVAL", `--grid: ${name} is not numeric, ranges do not apply`);
  const lo = parseValue(name, s, m[1]) as number;
  const hi = parseValue(name, s, m[2]) as number;
  if (hi < lo) throw new MmError("EINVAL", `--grid: ${name}=${text}: the range is empty`);
  if (m[3] === undefined) return { values: [lo, hi], range: [lo, hi] };
  const step = parseValue(name, { ...s, min: 0, max: Number.MAX_VALUE, minExclusive: true } as ParamSpec, m[3]) as number;
  if (!(step > 0)) throw new MmError("EINVAL", `--grid: ${name}=${text}: the step must be > 0`);
  const n = Math.floor((hi - lo) / step + 1e-9) + 1;
  if (n > 100_000) throw new MmError("EINVAL", `--grid: ${name}=${text} has ${n} values`);
  // lo + i*step, rounded to the step's decimals so 0.1 steps do not drift
  const decimals = Math.max(0, (String(step).split(".")[1] ?? "").length, (String(lo).split(".")[1] ?? "").length);
  const values: ParamValue[] = [];
  for (let i = 0; i < n; i++) {
    const v = Number((lo + i * step).toFixed(decimals));
    checkValue(name, s, v);
    values.push(v);
  }
  return { values };
}

/** Parse `a=1..4:1,b=x,y` into axes, in the order written. */
export function parseGrid(space: ParamSpace, spec: string): Axis[] {
  const axes: { name: string; values: ParamValue[]; range?: [number, number] }[] = [];
  for (const raw of spec.split(",")) {
    const tok = raw.trim();
    if (tok === "") continue;
    const eq = tok.indexOf("=");
    let name: string;
    let text: string;
    if (eq > 0) {
      name = tok.slice(0, eq).trim();
      text = tok.slice(eq + 1).trim();
      if (axes.some((a) => a.name === name)) throw new MmError("EINVAL", `--grid: ${name} given twice`);
      axes.push({ name, values: [] });
    } else {
      const last = axes[axes.length - 1];
      if (last === undefined) throw new MmError("EINVAL", `--grid expects name=values, got "${tok}"`);
      name = last.name;
      text = tok;
    }
    const s = axisSpec(space, name);
    const axis = axes[axes.length - 1];
    const r = expandRange(name, s, text);
    if (r.range !== undefined) axis.range = r.range;
    for (const v of r.values) {
      const key = JSON.stringify(v);
      if (axis.values.some((x) => JSON.stringify(x) === key)) throw new MmError("EINVAL", `--grid: ${name}=${formatAny(v)} given twice`);
      axis.values.push(v);
    }
  }
  return axes;
}

function formatAny(v: ParamValue): string {
  return Array.isArray(v) ? v.join("+") : String(v);
}

/** List-of-enum axes not named in the grid: one cell per default item (each scenario its own cell). */
function implicitAxes(space: ParamSpace, named: ReadonlySet<string>): Axis[] {
  const out: Axis[] = [];
  for (const [name, s] of Object.entries(space)) {
    if (named.has(name) || s.kind !== "list" || s.of !== "enum" || !isAxis(s)) continue;
    out.push({ name, values: s.default.map((v) => [v]) });
  }
  return out;
}

/** Cartesian product of the axes over `base`, first axis slowest. */
export function gridPoints(space: ParamSpace, base: AnyConfig, grid: readonly Axis[]): AnyConfig[] {
  const axes = [...grid, ...implicitAxes(space, new Set(grid.map((a) => a.name)))];
  let points: AnyConfig[] = [base];
  for (const a of axes) {
    const next: AnyConfig[] = [];
    for (const p of points) for (const v of a.values) next.push({ ...p, [a.name]: v });
    points = next;
  }
  return points;
}

/**
 * A Latin-hypercube sample of `n` points: each numeric axis with a range is cut into n strata and
 * each stratum is used exactly once (a seeded shuffle per axis); an axis of listed values takes
 * them in equal shares, shuffled. Ints and sizes are rounded. Same seed -> same points.
 */
export function lhsPoints(space: ParamSpace, base: AnyConfig, grid: readonly Axis[], n: number, seed: number): AnyConfig[] {
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new MmError("EINVAL", `--sample lhs:N expects N in 1..1000000, got ${n}`);
  const prng = createPrng(seed).fork("lhs");
  const points: Record<string, ParamValue>[] = Array.from({ length: n }, () => ({ ...base }));
  for (const a of [...grid, ...implicitAxes(space, new Set(grid.map((x) => x.name)))]) {
    const s = space[a.name];
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(prng.nextFloat() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    for (let i = 0; i < n; i++) {
      const stratum = perm[i];
      let v: ParamValue;
      if (a.range !== undefined) {
        const [lo, hi] = a.range;
        const x = lo + ((stratum + prng.nextFloat()) / n) * (hi - lo);
        v = s.kind === "int" || s.kind === "size" ? Math.min(hi, Math.max(lo, Math.round(x))) : x;
      } else v = a.values[Math.floor((stratum * a.values.length) / n)]!;
      checkValue(a.name, s, v);
      points[i][a.name] = v;
    }
  }
  return points;
}
