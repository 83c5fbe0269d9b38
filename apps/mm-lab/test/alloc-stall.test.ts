import { Command } from "commander";
import { isMmError } from "@mm/api";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { withoutRunRecord } from "./cli-helper.js";
import { allocStallConfigFromArgs, formatStallMap, MAP_POLICIES, type StallMapCell } from "../src/experiments/alloc-stall.js";
import { formatReport, formatTable } from "../src/experiments/alloc-stall/format.js";
import { POLICIES, type ScenarioResult } from "../src/experiments/alloc-stall/run.js";

async function cli(...args: string[]): Promise<string> {
  let out = "";
  await runCli(new Command().exitOverride(), ["node", "mm-lab", ...args], (s) => {
    out += s;
  });
  return withoutRunRecord(out);
}

const policy = (r: ScenarioResult, name: string) => {
  const p = r.policies.find((x) => x.policy === name);
  if (p === undefined) throw new Error(`no policy ${name}`);
  return p;
};

describe("alloc-stall experiment (buddy + sim + alloc-watchdog)", () => {
  it("is deterministic, carries the seed, and prints each mechanism's lines in its era's format", async () => {
    const args = ["run", "alloc-stall", "--scenario", "oom-lock", "--scale", "0.25", "--seed", "3", "--json"];
    const a = await cli(...args);
    expect(await cli(...args)).toBe(a);
    const r = JSON.parse(a) as ScenarioResult & { config: { scale: number; scenario: string; policies: string[]; from: string | null } };
    expect(r.seed).toBe(3);
    expect(r.config).toEqual({ scenario: "oom-lock", scale: 0.25, policies: POLICIES.map((p) => p.name), from: null });
    expect(r.policies.map((p) => p.policy)).toEqual(POLICIES.map((p) => p.name));
    const ts = String.raw`\[ *\d+\.\d{6}\] `;
    const v49 = policy(r, "warn_alloc v4.9-4.10");
    const v411 = policy(r, "warn_alloc v4.12-4.14");
    expect(v49.sample[0]).toMatch(new RegExp(`^${ts}\\S+: page allocation stalls for \\d+ms, order:0, mode:0x[0-9a-f]+\\(GFP_[A-Z_|]+\\)$`));
    expect(v411.sample[0]).toMatch(new RegExp(`^${ts}\\S+: page allocation stalls for \\d+ms, order:0, mode:0x[0-9a-f]+\\(GFP_[A-Z_|]+\\), nodemask=\\(null\\)$`));
    expect(v411.sample[1]).toMatch(new RegExp(`^${ts}\\S+ cpuset=/ mems_allowed=0$`));
    const wd = policy(r, "kmallocwd 10s");
    expect(wd.sample[0]).toMatch(new RegExp(`^${ts}MemAlloc-Info: stalling=\\d+ dying=\\d+ exiting=\\d+ victim=\\d+ oom_count=\\d+$`));
    expect(wd.sample[1]).toMatch(new RegExp(`^${ts}MemAlloc: kswapd0\\(45\\) flags=0xa40840 switches=\\d+`));
    // kmallocwd's timeout rule: it scans every timeout s, so its first line comes at a multiple of it.
    const first = Number(/^\[ *(\d+\.\d+)\]/.exec(wd.sample[0])?.[1]);
    expect(first % 10).toBeCloseTo(0, 6);
    const text = formatReport([r], 3);
    for (const l of formatTable([r]).split("\n")) expect(l.length).toBeLessThanOrEqual(100);
    expect(text).toContain("dmesg, warn_alloc v4.9-4.10 (oom-lock); format: warn_alloc of v4.9");
    expect(text).toMatch(/dmesg, kmallocwd 10s \(oom-lock\); format: kmallocwd v6/);
  });

  it("bounds the bounded report: 2 summaries + kswapd + 16 tasks + folded + 8 groups", async () => {
    const r = JSON.parse(await cli("run", "alloc-stall", "--scenario", "slow-reclaim", "--scale", "0.25", "--json")) as ScenarioResult;
    const bounded = policy(r, "kmallocwd 10s bounded");
    expect(bounded.maxBurstBytes).toBeLessThan(28 * 200);
    // every policy watches the same ground truth
    expect(new Set(r.policies.map((p) => p.stalls)).size).toBe(1);
  });

  it("rejects bad arguments with MmError EINVAL", () => {
    for (const args of [{ scale: "0" }, { scale: "2" }, { seed: "x" }, { scenario: "nope" }]) {
      let err: unknown;
      try {
        allocStallConfigFromArgs(args);
      } catch (e) {
        err = e;
      }
      expect(isMmError(err, "EINVAL")).toBe(true);
    }
    expect(allocStallConfigFromArgs({ scenario: "oom-lock,mass-stall", seed: "5" })).toEqual({ scenarios: ["oom-lock", "mass-stall"], seed: 5, scale: 1 });
  });

  it("prints the map within 100 columns at its widest cells, both stall-check sites and kmallocwd 10/30/60 s", () => {
    const wide = { mean: 100, lo: 100, hi: 100 };
    const cell: StallMapCell = {
      waiters: 300,
      holdMs: 10,
      ioMs: 50,
      seeds: [1, 2, 3],
      stalls: { mean: 99999, lo: 0, hi: 0 },
      policies: MAP_POLICIES.map((p) => ({ policy: p.name, blocked: wide, latencyS: { mean: 999.9, lo: 0, hi: 0 } })),
    };
    const text = formatStallMap([cell, cell]);
    for (const l of text.split("\n")) expect(l.length).toBeLessThanOrEqual(100);
    expect(MAP_POLICIES.map((p) => p.name)).toEqual(["warn_alloc v4.9-4.10", "warn_alloc v4.11-4.14", "kmallocwd 10s", "kmallocwd 30s", "kmallocwd 60s"]);
  });
});
