/** Test helpers: the 6.1 fixture as a capture, and variants of it written to temp directories. */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { CaptureInput } from "@mm/capture";

export const FIXTURE_DIR = fileURLToPath(new URL("../../../fixtures/kernel-6.1-256M/", import.meta.url));

export function fixtureText(rel: string): string {
  return readFileSync(join(FIXTURE_DIR, rel), "utf8");
}

/** The fixture's dump, uncompressed, as latin1 text. */
export function fixtureDump(): string {
  return gunzipSync(readFileSync(join(FIXTURE_DIR, "page_owner.txt.gz"))).toString("latin1");
}

/** The fixture as a CaptureInput, with some files left out or replaced. */
export function fixtureInput(over: Partial<Record<keyof CaptureInput, string | undefined>> = {}): CaptureInput {
  const base: Record<string, string | Uint8Array | undefined> = {
    pageOwner: readFileSync(join(FIXTURE_DIR, "page_owner.txt.gz")),
    zoneinfo: fixtureText("proc/zoneinfo.txt"),
    buddyinfo: fixtureText("proc/buddyinfo.txt"),
    pagetypeinfo: fixtureText("proc/pagetypeinfo.txt"),
    meminfo: fixtureText("proc/meminfo.txt"),
    dmesg: fixtureText("proc/dmesg.txt"),
  };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base as unknown as CaptureInput;
}

/**
 * The fixture's dump as 6.12 prints it: hex PFN (`PFN 0x%lx`), no `free_ts` (dropped in 6.7).
 * The records are the same allocations, so every cross-check against the fixture still holds.
 */
export function fixtureDumpAs612(): string {
  return fixtureDump()
    .replace(/, free_ts \d+ ns\n/g, "\n")
    .replace(/^PFN (\d+) /gm, (_m, d: string) => `PFN 0x${Number(d).toString(16)} `);
}

/** 1-based line number of the first line of `text` that starts with `prefix`. */
export function lineOf(text: string, prefix: string, from = 0): number {
  const at = text.indexOf(prefix, from);
  if (at < 0) throw new Error(`no line starting with ${prefix}`);
  let n = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < at; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** A temp capture directory with the given files (names as a user would copy them). */
export function tempCapture(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), "mm-capture-"));
  for (const [name, body] of Object.entries(files)) {
    const p = join(dir, name);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, body);
  }
  return dir;
}
