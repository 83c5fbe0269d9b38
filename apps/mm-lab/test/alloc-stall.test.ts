import { Command } from "commander";
import { isMmError } from "@mm/api";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { withoutRunRecord } from "./cli-helper.js";
import { allocStallConfigFromArgs } from "../src/experiments/alloc-stall.js";
import { formatReport } from "../src/experiments/alloc-stall/format.js";
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
  it("oom-lock: warn_alloc never names the blocked oom_lock holder while it is blocked; kmallocwd does; runs are deterministic", async () => {
    const args = ["run", "alloc-stall", "--scenario", "oom-lock", "--scale", "0.25", "--seed", "3", "--json"];
    const a = await cli(...args);
    expect(await cli(...args)).toBe(a);
    const r = JSON.parse(a) as ScenarioResult;
    expect(r.scenario).toBe("oom-lock");
    expect(r.policies.map((p) => p.policy)).toEqual(POLICIES.map((p) => p.name));
    expect(r.stallsByState.oom_notifier).toBeGreaterThanOrEqual(1);
    const warn = policy(r, "warn_alloc (4.9)");
    const wd = policy(r, "kmallocwd 20s");
    // the loopers are reported by warn_alloc about themselves...
    expect(warn.named).toBeGreaterThan(0);
    expect(warn.sample[0]).toMatch(/^\S+: page allocation stalls for \d+ms, order:0, mode:0x[0-9a-f]+\(GFP_[A-Z_|]+\)$/);
    // ...but the stuck holder never while it is stuck; the watchdog names it from its record
    expect(warn.namedWhileBlocked).toBe(0);
    expect(wd.namedWhileBlocked).toBeGreaterThanOrEqual(1);
    expect(wd.sample[0]).toMatch(/^MemAlloc-Info: stalling=\d+ dying=\d+ exiting=\d+ victim=\d+ oom_count=\d+$/);
    expect(wd.sample[1]).toMatch(/^MemAlloc: kswapd0\(45\) flags=0xa40840 switches=\d+/);
    expect(wd.hookEpisodes).toBeGreaterThanOrEqual(1);
    // the person-readable report is a pure function of the results
    const text = formatReport([r], 3);
    expect(text).toContain("│ oom-lock │ kmallocwd 20s bounded │");
    expect(text).toMatch(/oom-lock: of \d+ stalls stuck at 10 s, warn_alloc named \d+ \(0 while blocked/);
  });

  it("slow-reclaim: reclaimers stuck on the shrinker mutex are invisible to warn_alloc while stuck", async () => {
    const r = JSON.parse(await cli("run", "alloc-stall", "--scenario", "slow-reclaim", "--scale", "0.25", "--json")) as ScenarioResult;
    expect(r.stalls).toBeGreaterThan(0);
    expect(r.stallsByState.lock).toBeGreaterThan(0);
    const warn = policy(r, "warn_alloc (4.9)");
    expect(warn.stuck).toBe(r.stalls - r.stallsByState.looping);
    expect(warn.namedWhileBlocked).toBe(0);
    const bounded = policy(r, "kmallocwd 20s bounded");
    // 2 summaries + kswapd + 16 tasks + folded + 8 groups, each line well under 200 bytes
    expect(bounded.maxBurstBytes).toBeLessThan(28 * 200);
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
});
