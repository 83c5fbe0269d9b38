/**
 * Typed parameter spaces. An experiment declares each knob once — kind, unit, valid range or
 * values, default, a one-line doc and *why* that default — and everything else is derived from the
 * declaration: the `--kebab-case` flag and its `--help` line, parsing and validation (one-line
 * `MmError` EINVAL naming the flag), the canonical text of a value (so a config round-trips through
 * flags and JSON), and which knobs `mm-lab sweep` may use as grid / sample axes.
 *
 * A parameter's name is the config key and the sweep axis name (`perMibUs`); its flag is the
 * kebab-case spelling (`--per-mib-us`), which is also what commander would camel-case back.
 */
import { MmError } from "@mm/api";

/** The kinds of knob. `text` is a free string (a file path), never a sweep axis. */
export type ParamKind = "int" | "float" | "enum" | "list" | "duration" | "size" | "bool" | "text";

interface ParamCommon<V> {
  /** One line for `--help`. */
  readonly doc: string;
  readonly default: V;
  /** Why this default: a kernel constant, a cited figure, or a measurement and its method. */
  readonly why: string;
  /** Flag spelling without the dashes when kebab-case(name) is not wanted. */
  readonly flag?: string;
  /** May `mm-lab sweep` vary it? @defaultValue true for scalar kinds, false for list and text */
  readonly axis?: boolean;
}

export interface IntParam extends ParamCommon<number> {
  readonly kind: "int";
  readonly unit?: string;
  readonly min: number;
  readonly max: number;
}

export interface FloatParam extends ParamCommon<number> {
  readonly kind: "float";
  readonly unit?: string;
  readonly min: number;
  readonly max: number;
  /** The range is (min, max] instead of [min, max]. */
  readonly minExclusive?: boolean;
}

export interface EnumParam<V extends string = string> extends ParamCommon<V> {
  readonly kind: "enum";
  readonly values: readonly V[];
}

/** A comma-separated list of ints, floats or enum values. `all` stands for every enum value. */
export interface ListParam extends ParamCommon<readonly (number | string)[]> {
  readonly kind: "list";
  readonly of: "int" | "float" | "enum";
  /** For `of: "enum"`: the allowed values. */
  readonly values?: readonly string[];
  /** For numbers: the range of every item. */
  readonly min?: number;
  readonly max?: number;
  /** @defaultValue 1 */
  readonly minLength?: number;
}

/** Base units a duration is stored in; input may use any of them as a suffix ("250ms", "2s"). */
export type DurationUnit = "ns" | "us" | "ms" | "s";
export interface DurationParam extends ParamCommon<number> {
  readonly kind: "duration";
  /** The unit of the stored number (and of a bare number on the command line). */
  readonly unit: DurationUnit;
  readonly min: number;
  readonly max: number;
}

/** Base units a size is stored in; input may use a suffix ("512M", "1GiB", "4096K"). */
export type SizeUnit = "B" | "KiB" | "MiB" | "GiB";
export interface SizeParam extends ParamCommon<number> {
  readonly kind: "size";
  /** The unit of the stored integer (and of a bare number on the command line). */
  readonly unit: SizeUnit;
  readonly min: number;
  readonly max: number;
}

export interface BoolParam extends ParamCommon<boolean> {
  readonly kind: "bool";
}

export interface TextParam extends ParamCommon<string | null> {
  readonly kind: "text";
  /** Shown in --help: `--replay <file|boot>`. */
  readonly placeholder: string;
}

export type ParamSpec = IntParam | FloatParam | EnumParam | ListParam | DurationParam | SizeParam | BoolParam | TextParam;

/** An experiment's knobs, keyed by parameter name (the config key). */
export type ParamSpace = Readonly<Record<string, ParamSpec>>;

/** The value type a spec holds. */
export type ValueOf<S extends ParamSpec> = S extends EnumParam<infer V>
  ? V
  : S extends ListParam
    ? readonly (number | string)[]
    : S extends BoolParam
      ? boolean
      : S extends TextParam
        ? string | null
        : number;

/** The resolved configuration of a space: every key present, every value valid. */
export type ConfigOf<P extends ParamSpace> = { readonly [K in keyof P]: ValueOf<P[K]> };

/** Any resolved configuration (what the sweep engine and stores pass around). */
export type ParamValue = number | string | boolean | null | readonly (number | string)[];
export type AnyConfig = Readonly<Record<string, ParamValue>>;

/** Declare a space with its literal types kept (so `ConfigOf` knows enum unions). */
export function defineParams<const P extends ParamSpace>(p: P): P {
  for (const [name, s] of Object.entries(p)) {
    checkValue(name, s, s.default); // a default outside its own range is a bug in the declaration
  }
  return p;
}

/** "perMibUs" -> "per-mib-us". */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The flag of a parameter, with dashes: "--per-mib-us". */
export function flagOf(name: string, s: ParamSpec): string {
  return `--${s.flag ?? kebab(name)}`;
}

export function isAxis(s: ParamSpec): boolean {
  return s.axis ?? (s.kind !== "list" && s.kind !== "text");
}

const INT_RE = /^[-+]?\d+$/;
const FLOAT_RE = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

const DURATION_NS: Readonly<Record<DurationUnit, number>> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9 };
const SIZE_B: Readonly<Record<SizeUnit, number>> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const SIZE_SUFFIX: Readonly<Record<string, SizeUnit>> = {
  b: "B",
  k: "KiB",
  kb: "KiB",
  kib: "KiB",
  m: "MiB",
  mb: "MiB",
  mib: "MiB",
  g: "GiB",
  gb: "GiB",
  gib: "GiB",
};

function fail(flag: string, what: string, got: unknown): never {
  const shown = typeof got === "string" ? `"${got}"` : JSON.stringify(got);
  throw new MmError("EINVAL", `${flag} expects ${what}, got ${shown}`);
}

function rangeText(s: { min: number; max: number; minExclusive?: boolean }, unit?: string): string {
  const u = unit === undefined ? "" : ` ${unit}`;
  return s.minExclusive === true ? `(${s.min}, ${s.max}]${u}` : `${s.min}..${s.max}${u}`;
}

function inRange(v: number, s: { min: number; max: number; minExclusive?: boolean }): boolean {
  return (s.minExclusive === true ? v > s.min : v >= s.min) && v <= s.max;
}

/** What the flag expects, for errors and --help: "an integer in 64..65536 MiB". */
export function expects(s: ParamSpec): string {
  switch (s.kind) {
    case "int":
      return `an integer in ${rangeText(s, s.unit)}`;
    case "float":
      return `a number in ${rangeText(s, s.unit)}`;
    case "enum":
      return `one of ${s.values.join(", ")}`;
    case "list":
      if (s.of === "enum") return `a comma-separated list of ${(s.values ?? []).join(", ")} (or all)`;
      return `a comma-separated list of ${s.of === "int" ? "integers" : "numbers"}${s.min !== undefined && s.max !== undefined ? ` in ${s.min}..${s.max}` : ""}`;
    case "duration":
      return `a duration in ${rangeText(s, s.unit)} (a bare number is ${s.unit}; suffixes ns, us, ms, s)`;
    case "size":
      return `a size in ${rangeText(s, s.unit)} (a bare number is ${s.unit}; suffixes K, M, G)`;
    case "bool":
      return "true or false";
    case "text":
      return s.placeholder;
  }
}

function parseNumber(flag: string, text: string, integer: boolean): number {
  const t = text.trim();
  if (!(integer ? INT_RE : FLOAT_RE).test(t)) fail(flag, integer ? "an integer" : "a number", text);
  return Number(t);
}

function parseScaled(flag: string, s: DurationParam | SizeParam, text: string): number {
  const m = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (m === null) fail(flag, expects(s), text);
  const n = Number(m[1]);
  const suffix = m[2] ?? "";
  let factor = 1;
  if (suffix !== "") {
    if (s.kind === "duration") {
      const from = suffix.toLowerCase() as DurationUnit;
      if (!(from in DURATION_NS)) fail(flag, expects(s), text);
      factor = DURATION_NS[from] / DURATION_NS[s.unit];
    } else {
      const from = SIZE_SUFFIX[suffix.toLowerCase()];
      if (from === undefined) fail(flag, expects(s), text);
      factor = SIZE_B[from] / SIZE_B[s.unit];
    }
  }
  const v = n * factor;
  if (s.kind === "size" && !Number.isInteger(v)) fail(flag, `a whole number of ${s.unit}`, text);
  return v;
}

/** Command-line text -> value. @throws MmError EINVAL naming the flag. */
export function parseValue(name: string, s: ParamSpec, text: string): ParamValue {
  const flag = flagOf(name, s);
  let v: ParamValue;
  switch (s.kind) {
    case "int":
      v = parseNumber(flag, text, true);
      break;
    case "float":
      v = parseNumber(flag, text, false);
      break;
    case "duration":
    case "size":
      v = parseScaled(flag, s, text);
      break;
    case "enum":
      v = text.trim();
      break;
    case "bool": {
      const t = text.trim().toLowerCase();
      if (t !== "true" && t !== "false" && t !== "1" && t !== "0") fail(flag, "true or false", text);
      v = t === "true" || t === "1";
      break;
    }
    case "text":
      v = text;
      break;
    case "list": {
      const items = text
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== "");
      if (s.of === "enum") v = items.length === 1 && items[0] === "all" ? [...(s.values ?? [])] : items;
      else v = items.map((x) => parseNumber(flag, x, s.of === "int"));
      break;
    }
  }
  checkValue(name, s, v);
  return v;
}

/**
 * Check a value of any origin (a parsed flag, a JSON config, a grid point) against its spec.
 * @throws MmError EINVAL naming the flag and what it expects.
 */
export function checkValue(name: string, s: ParamSpec, v: unknown): void {
  const flag = flagOf(name, s);
  switch (s.kind) {
    case "int":
      if (typeof v !== "number" || !Number.isSafeInteger(v) || !inRange(v, s)) fail(flag, expects(s), v);
      return;
    case "float":
    case "duration":
      if (typeof v !== "number" || !Number.isFinite(v) || !inRange(v, s)) fail(flag, expects(s), v);
      return;
    case "size":
      if (typeof v !== "number" || !Number.isSafeInteger(v) || !inRange(v, s)) fail(flag, expects(s), v);
      return;
    case "enum":
      if (typeof v !== "string" || !s.values.includes(v)) fail(flag, expects(s), v);
      return;
    case "bool":
      if (typeof v !== "boolean") fail(flag, "true or false", v);
      return;
    case "text":
      if (v !== null && typeof v !== "string") fail(flag, s.placeholder, v);
      return;
    case "list": {
      if (!Array.isArray(v)) fail(flag, expects(s), v);
      const items = v as unknown[];
      if (items.length < (s.minLength ?? 1)) fail(flag, `at least ${s.minLength ?? 1} item(s)`, items.join(","));
      if (new Set(items).size !== items.length) fail(flag, "each item once", items.join(","));
      for (const x of items) {
        if (s.of === "enum") {
          if (typeof x !== "string" || !(s.values ?? []).includes(x)) fail(flag, expects(s), x);
        } else {
          const ok = typeof x === "number" && (s.of === "int" ? Number.isSafeInteger(x) : Number.isFinite(x));
          if (!ok || (s.min !== undefined && x < s.min) || (s.max !== undefined && x > s.max)) fail(flag, expects(s), x);
        }
      }
      return;
    }
  }
}

/** The canonical command-line text of a value: `parseValue(formatValue(v)) === v`. */
export function formatValue(s: ParamSpec, v: ParamValue): string {
  if (s.kind === "list") return (v as readonly (number | string)[]).join(",");
  if (v === null) return "";
  return String(v);
}

/** The `--help` line: doc, what it expects, default and why. */
export function helpText(s: ParamSpec): string {
  const d = s.default === null ? "none" : formatValue(s, s.default);
  return `${s.doc}; ${expects(s)}; default ${d} (${s.why})`;
}

/** Raw option values as commander hands them over (camel-cased flag names). */
export type RawArgs = Readonly<Record<string, string | boolean | undefined>>;

/** commander's key for a flag: "--per-mib-us" -> "perMibUs". */
export function optionKey(name: string, s: ParamSpec): string {
  return (s.flag ?? kebab(name)).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Flags -> a full, valid configuration: defaults for what is not given.
 * @throws MmError EINVAL on the first bad value, naming its flag.
 */
export function resolveConfig<P extends ParamSpace>(space: P, raw: RawArgs): ConfigOf<P> {
  const out: Record<string, ParamValue> = {};
  for (const [name, s] of Object.entries(space)) {
    const given = raw[optionKey(name, s)];
    if (given === undefined) out[name] = s.default;
    else if (typeof given === "boolean") {
      if (s.kind !== "bool") fail(flagOf(name, s), expects(s), given);
      out[name] = given;
    } else out[name] = parseValue(name, s, given);
  }
  return out as ConfigOf<P>;
}

/**
 * A JSON object (a stored config, a `--config` file) -> a full, valid configuration. Unknown keys
 * are errors (a typo must not silently run the default).
 */
export function configFromJson<P extends ParamSpace>(space: P, obj: unknown): ConfigOf<P> {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw new MmError("EINVAL", "a config must be a JSON object");
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!(k in space)) throw new MmError("EINVAL", `unknown parameter "${k}" (known: ${Object.keys(space).join(", ")})`);
  }
  const out: Record<string, ParamValue> = {};
  for (const [name, s] of Object.entries(space)) {
    const v = k(o, name) ? o[name] : s.default;
    checkValue(name, s, v);
    out[name] = v as ParamValue;
  }
  return out as ConfigOf<P>;
}

function k(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** A configuration as command-line arguments (every parameter, canonical text). */
export function configToArgv(space: ParamSpace, config: AnyConfig): string[] {
  const argv: string[] = [];
  for (const [name, s] of Object.entries(space)) {
    const v = config[name];
    if (v === undefined || v === null) continue;
    if (s.kind === "bool") argv.push(v === true ? flagOf(name, s) : `--no-${s.flag ?? kebab(name)}`);
    else argv.push(flagOf(name, s), formatValue(s, v));
  }
  return argv;
}

/** "key=value key=value" in declaration order: the footer line that echoes a run's config. */
export function formatConfig(space: ParamSpace, config: AnyConfig): string {
  return Object.entries(space)
    .map(([name, s]) => `${name}=${config[name] === null ? "-" : formatValue(s, config[name] ?? null)}`)
    .join(" ");
}
