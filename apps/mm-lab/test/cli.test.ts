import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { parseBuddyinfo } from "@mm/buddy";
import { runCli } from "../src/cli.js";
import { withoutRunRecord } from "./cli-helper.js";
import { experiments } from "../src/experiments/index.js";
import { runBuddyinfo } from "../src/experiments/buddyinfo.js";

async function cli(...args: string[]): Promise<string> {
  let out = "";
  const program = new Command().exitOverride();
  await runCli(program, ["node", "mm-lab", ...args], (s) => {
    out += s;
  });
  return withoutRunRecord(out);
}

describe("mm-lab CLI", () => {
  it("lists every registered experiment", async () => {
    const out = await cli("list");
    for (const e of experiments) expect(out).toContain(e.name);
    expect(new Set(experiments.map((e) => e.name)).size).toBe(experiments.length);
  });

  it("runs the buddyinfo demo as JSON, deterministically by seed", async () => {
    const a = await cli("run", "buddyinfo", "--json", "--seconds", "1", "--seed", "7", "--memory", "256");
    const b = await cli("run", "buddyinfo", "--json", "--seconds", "1", "--seed", "7", "--memory", "256");
    expect(a).toBe(b);
    const r = JSON.parse(a) as { before: string; after: string; allocated: number };
    expect(r.allocated).toBeGreaterThan(0);
    expect(r.after).not.toBe(r.before);
  });
});

describe("buddyinfo demo", () => {
  it("conserves pages: free blocks after = free before - pages still allocated", () => {
    const r = runBuddyinfo(256, 3, 1);
    const pages = (text: string) =>
      parseBuddyinfo(text).reduce((sum, row) => sum + row.counts.reduce((s, c, order) => s + c * 2 ** order, 0), 0);
    expect(pages(r.before) - pages(r.after)).toBe(r.livePages);
  });
});
