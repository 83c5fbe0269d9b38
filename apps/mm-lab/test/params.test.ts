import { Command } from "commander";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isMmError } from "@mm/api";
import { experiments } from "../src/experiments/index.js";
import {
  type AnyConfig,
  checkValue,
  configFromJson,
  configToArgv,
  expects,
  type ParamSpec,
  parseValue,
  resolveConfig,
} from "../src/params.js";
import { addParamFlags } from "../src/commands/run.js";
import { cliMain } from "./cli-helper.js";

/** Arbitrary valid values of a spec (not just the default). */
function arbValue(s: ParamSpec): fc.Arbitrary<unknown> {
  switch (s.kind) {
    case "int":
      return fc.integer({ min: Math.max(s.min, -1e9), max: Math.min(s.max, 1e9) });
    case "float":
    case "duration":
      return fc
        .double({ min: s.min, max: s.max, noNaN: true, noDefaultInfinity: true })
        .filter((x) => (s.kind === "float" && s.minExclusive === true ? x > s.min : true))
        .map((x) => (Object.is(x, -0) ? 0 : x));
    case "size":
      return fc.integer({ min: s.min, max: Math.min(s.max, 2 ** 31) });
    case "enum":
      return fc.constantFrom(...s.values);
    case "bool":
      return fc.boolean();
    case "text":
      return fc.option(fc.stringMatching(/^[a-z0-9./_-]{1,20}$/), { nil: null });
    case "list":
      if (s.of === "enum") return fc.subarray([...(s.values ?? [])], { minLength: s.minLength ?? 1 });
      return fc.uniqueArray(fc.integer({ min: s.min ?? -1000, max: s.max ?? 1000 }), { minLength: s.minLength ?? 1, maxLength: 5 });
  }
}

/** Parse argv through commander with the experiment's derived flags, then resolve. */
function throughFlags(exp: (typeof experiments)[number], argv: string[]): AnyConfig {
  const cmd = addParamFlags(new Command(exp.name).exitOverride(), exp, { seeds: true });
  cmd.parse(argv, { from: "user" });
  return resolveConfig(exp.params, cmd.opts());
}

describe("parameter schemas", () => {
  for (const exp of experiments) {
    describe(exp.name, () => {
      it("every default is valid, documented and has a why", () => {
        for (const [name, s] of Object.entries(exp.params)) {
          expect(() => checkValue(name, s, s.default)).not.toThrow();
          expect(s.doc.length).toBeGreaterThan(5);
          expect(s.why.length).toBeGreaterThan(5);
        }
      });

      it("a config round-trips through flags and through JSON", () => {
        const space = exp.params;
        const arb = fc.record(Object.fromEntries(Object.entries(space).map(([k, s]) => [k, arbValue(s)])));
        fc.assert(
          fc.property(arb, (raw) => {
            const config = raw as AnyConfig;
            const viaJson = configFromJson(space, JSON.parse(JSON.stringify(config)));
            expect(viaJson).toEqual(config);
            const viaFlags = throughFlags(exp, configToArgv(space, config));
            // text params left null are not on the command line, and resolve to their default (null)
            expect(viaFlags).toEqual(config);
          }),
          { numRuns: 50 },
        );
      });

      it("no flags resolve to the defaults", () => {
        const d = Object.fromEntries(Object.entries(exp.params).map(([k, s]) => [k, s.default]));
        expect(throughFlags(exp, [])).toEqual(d);
      });
    });
  }
});

describe("parsing", () => {
  const size: ParamSpec = { kind: "size", unit: "MiB", min: 64, max: 65536, default: 512, doc: "d", why: "w" };
  const dur: ParamSpec = { kind: "duration", unit: "ms", min: 0, max: 1e6, default: 2000, doc: "d", why: "w" };
  it("sizes and durations take unit suffixes, bare numbers are the base unit", () => {
    expect(parseValue("guestMib", size, "1G")).toBe(1024);
    expect(parseValue("guestMib", size, "512")).toBe(512);
    expect(parseValue("guestMib", size, "524288K")).toBe(512);
    expect(parseValue("startDelayMs", dur, "2s")).toBe(2000);
    expect(parseValue("startDelayMs", dur, "250ms")).toBe(250);
    expect(parseValue("startDelayMs", dur, "1500us")).toBe(1.5);
  });
  it("bad values name the flag and what it expects", () => {
    expect(() => parseValue("guestMib", size, "1.5M")).toThrow('--guest-mib expects a whole number of MiB, got "1.5M"');
    expect(() => parseValue("guestMib", size, "32")).toThrow(`--guest-mib expects ${expects(size)}, got 32`);
    expect(() => parseValue("startDelayMs", dur, "2 fortnights")).toThrow(/--start-delay-ms expects a duration/);
  });
  it("unknown JSON keys are errors, not silently defaulted", () => {
    let err: unknown;
    try {
      configFromJson(experiments[0].params, { guestMiB: 512 });
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "EINVAL")).toBe(true);
  });
});

describe("bad input at the CLI: one line, exit 2", () => {
  const cases: [string, string[], RegExp][] = [
    ["--seeds abc", ["run", "reporting-ab", "--seeds", "abc"], /^mm-lab: EINVAL: --seeds expects an integer, got "abc"\n$/],
    ["--seed -1", ["run", "buddyinfo", "--seed", "-1"], /^mm-lab: EINVAL: --seed expects an integer, got "-1"\n$/],
    ["unknown experiment", ["run", "nope"], /^mm-lab: EINVAL: unknown experiment "nope" \(known: reporting-ab, .*buddyinfo.*\)\n$/],
    ["unknown option", ["run", "buddyinfo", "--frobnicate", "3"], /^mm-lab: EINVAL: unknown option '--frobnicate'\n$/],
    ["unknown policy", ["run", "reporting-ab", "--policies", "fixed,nope"], /^mm-lab: EINVAL: --policies expects a comma-separated list of off, fixed/],
  ];
  for (const exp of experiments) {
    for (const [name, s] of Object.entries(exp.params)) {
      if (s.kind === "bool" || s.kind === "text") continue;
      const flag = `--${s.flag ?? name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      cases.push([`${exp.name} ${flag}`, ["run", exp.name, flag, "not-a-value"], new RegExp(`^mm-lab: EINVAL: ${flag} expects [^\\n]*\\n$`)]);
    }
  }
  for (const [label, argv, re] of cases) {
    it(label, async () => {
      const r = await cliMain(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.out).toBe("");
    });
  }
});
