// Every reference run of the kernel's own page_owner_sort (6.1.192 and 6.12.117 trees) on the real
// dump must be reproduced byte for byte: the output file, the stdout and the exit status.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  expectedOutput,
  expectedStdout,
  type FixtureCommand,
  fixtureCommands,
  fixtureDumpPath,
  run,
} from "./fixture-helpers.js";

const commands = fixtureCommands();
const outDir = mkdtempSync(join(tmpdir(), "page-owner-sort-out-"));

/** The command line with the fixture's file names pointed at our temp files. */
function argvFor(c: FixtureCommand): string[] {
  const args = c.args.map((a) => {
    if (a === "page_owner.txt") return fixtureDumpPath();
    if (a === `${c.name}.txt`) return join(outDir, `${c.era}-${c.name}.txt`);
    return a;
  });
  return [`--compat=${c.era}`, ...args];
}

describe("page_owner_sort reference runs", () => {
  test("both COMMANDS.tsv files are read (24 runs of 6.1, 19 of 6.12)", () => {
    expect(commands.filter((c) => c.era === "6.1")).toHaveLength(24);
    expect(commands.filter((c) => c.era === "6.12")).toHaveLength(19);
  });

  for (const c of commands) {
    test(`${c.era} ${c.name}: page_owner_sort ${c.args.join(" ")}`, async () => {
      const r = await run(argvFor(c));
      expect(r.code).toBe(c.exit);
      expect(r.stderr).toBe("");
      const got = readFileSync(join(outDir, `${c.era}-${c.name}.txt`));
      const want = expectedOutput(c);
      // Compare as text first for a readable diff, then as bytes.
      if (!got.equals(want)) expect(got.toString("latin1")).toBe(want.toString("latin1"));
      expect(got.equals(want)).toBe(true);
      // The tool prints "loaded N\r" every 1000 blocks; the references keep only the last line.
      const progress = r.stdout.match(/loaded \d+\r/g) ?? [];
      const loaded = Number(/loaded (\d+)\n/.exec(r.stdout)?.[1]);
      expect(progress).toHaveLength(Math.floor(loaded / 1000));
      expect(r.stdout.replace(/loaded \d+\r/g, "")).toBe(expectedStdout(c));
    });
  }
});
