/**
 * pin-owner on @mm/buddy + @mm/sim + @mm/stackdepot + @mm/page-ext: the culprit found by the
 * flagged-page tracer, the buffer overflow of tracing every unref, the CLI outputs, determinism.
 * A small machine and a short run keep CI fast; `mm-lab run pin-owner` runs the full-size one.
 */
import { MR_CONTIG_RANGE } from "@mm/api";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { withoutRunRecord } from "./cli-helper.js";
import { DEFAULT_CONFIG, type PinOwnerConfig, type PolicyResult, runPass, runPinOwner } from "../src/experiments/pin-owner/run.js";
import { pinOwnerConfig } from "../src/experiments/pin-owner.js";

const SMALL: PinOwnerConfig = {
  ...DEFAULT_CONFIG,
  memoryMb: 64,
  opsPerSec: 20_000,
  pinAtMs: 50,
  failAtMs: 100,
  releaseAtMs: 400,
  lookAtMs: 1000,
  bigBufferKb: 4 * 1408,
};

async function cli(...args: string[]): Promise<string> {
  let out = "";
  await runCli(new Command().exitOverride(), ["node", "mm-lab", ...args], (s) => {
    out += s;
  });
  return withoutRunRecord(out);
}

const byId = (rows: readonly PolicyResult[], id: string): PolicyResult => {
  const r = rows.find((x) => x.id === id);
  if (r === undefined) throw new Error(`no row ${id}`);
  return r;
};

describe("pin-owner experiment", () => {
  const res = runPinOwner(SMALL);

  it("pins a page in the CMA area and the CMA allocation over it fails", () => {
    expect(res.pinned).toBeGreaterThanOrEqual(res.cmaStart);
    expect(res.pinned).toBeLessThan(res.cmaEnd);
    expect(res.cmaEnd - res.cmaStart).toBe((64 << 20) / 4096 / 8);
    for (const r of res.rows) expect(r.cmaResult).toBe(-16);
  });

  it("names the holder with the flagged-page tracer, in every sink, losing nothing", () => {
    for (const id of ["unref-ftrace", "unref-gets-ftrace", "unref-pinner"]) {
      const r = byId(res.rows, id);
      expect(r.failureInBuffer).toBe(true);
      expect(r.culpritInBuffer).toBe(true);
      expect(r.lost).toBe(0);
      expect(r.stacksPerPut).toBeLessThan(0.001);
      expect(r.eventsPerSec).toBeLessThan(100);
    }
    // The review's get tracing leaves fewer candidates: temporary references are told apart.
    expect(byId(res.rows, "unref-gets-ftrace").candidates).toBeLessThan(byId(res.rows, "unref-ftrace").candidates);
    expect(byId(res.rows, "unref-gets-ftrace").temporary).toBeGreaterThan(0);
    expect(res.holderText).toContain("put by mydrvd-");
    expect(res.holderText).toContain("mydrv_unmap_buf+0x3c/0xa0 [mydrv]");
  });

  it("overflows the buffer when every unref is traced: the culprit and the failure are gone", () => {
    const all = byId(res.rows, "all-ftrace");
    expect(all.lost).toBeGreaterThan(0);
    expect(all.culpritInBuffer).toBe(false);
    expect(all.failureInBuffer).toBe(false);
    expect(all.stacksPerPut).toBeCloseTo(1, 3); // one per put, plus the few failure events
    expect(all.bytesAfterCulprit).toBeGreaterThan(all.bufferBytes);
    expect(all.eventsPerSec).toBeGreaterThan(1000 * byId(res.rows, "unref-ftrace").eventsPerSec);
  });

  it("accounts page_ext: the flags word alone, nothing extra next to page_owner; page_pinner's payload", () => {
    const pages = (64 << 20) / 4096;
    expect(byId(res.rows, "unref-ftrace").pageExtBytes).toBe(8 * 32768); // one 128 MiB section of 8-byte entries
    expect(byId(res.rows, "unref-ftrace").pageExtExtraWithOwner).toBe(0);
    expect(byId(res.rows, "unref-pinner").pageExtBytes).toBe(32 * 32768);
    expect(byId(res.rows, "all-ftrace").pageExtBytes).toBe(0);
    expect(pages).toBeLessThan(32768);
  });

  it("gives every policy the same workload", () => {
    const puts = new Set(res.rows.map((r) => r.puts));
    expect(puts.size).toBe(1);
    const alone = runPass(SMALL, [{ id: "x", label: "x", tracer: "flagged", sink: "ftrace" }]);
    expect(alone.results[0].puts).toBe(res.rows[0].puts);
    expect(alone.world.pinned).toBe(res.pinned);
    alone.world.machine.checkInvariants();
  });

  it("prints the same JSON for the same seed, and a table", async () => {
    const args = ["run", "pin-owner", "--memory-mb", "64", "--ops-per-sec", "5000", "--release-at-ms", "600", "--look-at-ms", "800", "--json"];
    const a = await cli(...args);
    const b = await cli(...args);
    expect(a).toBe(b);
    const rows = a.trim().split("\n").map((l) => JSON.parse(l) as PolicyResult);
    expect(rows.map((r) => r.id)).toEqual(["unref-ftrace", "unref-gets-ftrace", "unref-pinner", "all-ftrace", "all-cma-ftrace", "all-cma-big"]);
    const table = await cli("run", "pin-owner", "--memory-mb", "64", "--ops-per-sec", "5000", "--release-at-ms", "600", "--look-at-ms", "800");
    expect(table).toContain("trace-unref + gets (review)");
    expect(table).toContain("every unref, all pages");
    expect(table).toContain(`reason=contig_range err=-11`);
    expect(MR_CONTIG_RANGE).toBe(6);
  });

  it("rejects bad arguments", () => {
    expect(() => pinOwnerConfig({ memoryMb: "-1" })).toThrow(/memory-mb/);
    expect(() => pinOwnerConfig({ lookAtMs: "abc" })).toThrow(/look-at-ms/);
  });
});
