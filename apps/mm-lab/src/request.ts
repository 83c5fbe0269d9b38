/**
 * Flags -> a `RunRequest`: the experiment's parameters (through `params.ts`), plus the options
 * every experiment shares — `--seed`, `--seeds`, `--policies`, `--json`, `--config <file.json>`.
 */
import { readFileSync } from "node:fs";
import { MmError } from "@mm/api";
import type { AnyExperiment, RunRequest } from "./experiment.js";
import { type AnyConfig, configFromJson, type ListParam, optionKey, parseValue, type RawArgs, resolveConfig } from "./params.js";

/** Seeds are 32-bit so every PRNG in @mm/sim takes them as they are. */
export const MAX_SEED = 2 ** 32 - 1;
export const MAX_SEEDS = 10_000;

function intFlag(flag: string, text: string | boolean | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (typeof text === "boolean" || !/^\s*\d+\s*$/.test(text)) throw new MmError("EINVAL", `${flag} expects an integer, got "${String(text)}"`);
  const n = Number(text);
  if (n < min || n > max) throw new MmError("EINVAL", `${flag} expects an integer in ${min}..${max}, got "${text.trim()}"`);
  return n;
}

/** `--seed`, `--seeds` -> the seed list. */
export function resolveSeeds(exp: AnyExperiment, raw: RawArgs): number[] {
  const first = intFlag("--seed", raw.seed, exp.seeds.first, 0, MAX_SEED);
  const count = intFlag("--seeds", raw.seeds, exp.seeds.count, 1, MAX_SEEDS);
  if (first + count - 1 > MAX_SEED) throw new MmError("EINVAL", `--seed ${first} + --seeds ${count} passes ${MAX_SEED}`);
  return Array.from({ length: count }, (_, i) => first + i);
}

/** The policy axis as a list parameter, so `--policies` parses like any list. */
export function policiesParam(exp: AnyExperiment): ListParam | undefined {
  const p = exp.policies;
  if (p === undefined) return undefined;
  return { kind: "list", of: "enum", values: p.values, default: p.default, doc: p.doc, why: p.why };
}

export function resolvePolicies(exp: AnyExperiment, raw: RawArgs): string[] {
  const spec = policiesParam(exp);
  if (spec === undefined) {
    if (raw.policies !== undefined) throw new MmError("EINVAL", `${exp.name} has no policy axis; --policies does not apply`);
    return [];
  }
  const given = raw.policies;
  if (given === undefined) return [...spec.default] as string[];
  if (typeof given !== "string") throw new MmError("EINVAL", `--policies expects a list`);
  return parseValue("policies", spec, given) as string[];
}

/** `--config file.json` (if any) under the flags: flags win over the file, the file over defaults. */
export function resolveExperimentConfig(exp: AnyExperiment, raw: RawArgs): AnyConfig {
  const fromFlags = resolveConfig(exp.params, raw);
  let config: AnyConfig = fromFlags;
  if (typeof raw.config === "string") {
    let obj: unknown;
    try {
      obj = JSON.parse(readFileSync(raw.config, "utf8"));
    } catch (e) {
      throw new MmError("EINVAL", `--config ${raw.config}: ${(e as Error).message}`);
    }
    const fromFile = configFromJson(exp.params, obj);
    const merged: Record<string, AnyConfig[string]> = { ...fromFile };
    for (const [name, s] of Object.entries(exp.params)) {
      if (raw[optionKey(name, s)] !== undefined) merged[name] = fromFlags[name] ?? null;
    }
    config = merged;
  }
  exp.check?.(config);
  return config;
}

/** Every shared and experiment flag -> what `report` / the generic table runs. */
export function resolveRequest(exp: AnyExperiment, raw: RawArgs): RunRequest {
  return {
    config: resolveExperimentConfig(exp, raw),
    seeds: resolveSeeds(exp, raw),
    policies: resolvePolicies(exp, raw),
    json: raw.json === true,
  };
}
