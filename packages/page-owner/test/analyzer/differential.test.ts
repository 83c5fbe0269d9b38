// Differential test: generated command lines x mutated real inputs, run through the kernel's own
// page_owner_sort (6.1 and 6.12, built by scripts/build-kernel-tools.sh) and through ours; exit
// status, stdout, stderr and every file written must be byte-identical. Seeded (FC_SEED), so a
// failure names a case that reruns the same way.
//
// When a tool cannot be built here the test is skipped with a message naming why, never silently.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import type { CompatEra } from "../../src/analyzer/compat/config.js";
import { FIXTURE_DIR, fixtureDumpPath } from "./fixture-helpers.js";
import { type Case, makeCase, makeInputs, Rng } from "./differential/cases.js";
import { compareOutcomes, RunDir, runC, runOurs } from "./differential/harness.js";
import { findKernelTool } from "./differential/kernel-tools.js";

/** Cases per era and run; each is compared with its era's tool (so 2x this many comparisons). */
const CASES = Number(process.env.PAGE_OWNER_DIFF_CASES ?? 1200);
/** Of them, run on the whole 9.5 MB capture (the C tool takes ~0.15 s on it). */
const FULL_CASES = 12;
const SEED = Number(process.env.FC_SEED ?? 20261202);

const fixture = gunzipSync(readFileSync(join(FIXTURE_DIR, "page_owner.txt.gz"))).toString("latin1");
const root = mkdtempSync(join(tmpdir(), "page-owner-diff-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ERAS = (["6.1", "6.12"] as const satisfies readonly CompatEra[]).filter((e) => (process.env.PAGE_OWNER_DIFF_ERA ?? e) === e);
for (const era of ERAS) {
  const tool = findKernelTool(era);
  if (typeof tool === "string") {
    console.warn(`differential ${era}: SKIPPED: ${tool}`);
    describe(`differential vs the kernel's page_owner_sort ${era}`, () => {
      test.skip(`SKIPPED: ${tool}`, () => {});
    });
    continue;
  }
  describe(`differential vs the kernel's page_owner_sort ${era} (Debian ${tool.version})`, () => {
    const rng = new Rng(SEED ^ (era === "6.1" ? 0x61 : 0x612));
    const inputs = makeInputs(rng, fixture, 24);
    const names = [...inputs.keys()];
    const cDir = new RunDir(join(root, `${era}-kernel`), inputs);
    const oDir = new RunDir(join(root, `${era}-ours`), inputs);
    const cases: Case[] = [];
    for (let i = 0; i < CASES; i++) cases.push(makeCase(rng, names));
    // A few on the whole capture, by absolute path (it is never an output).
    for (let i = 0; i < FULL_CASES; i++) {
      const c = makeCase(rng, ["FULL"]);
      cases[i * Math.floor(CASES / FULL_CASES)] = { ...c, argv: c.argv.map((a) => (a === "FULL" ? fixtureDumpPath() : a)) };
    }

    const BATCH = 200;
    for (let from = 0; from < cases.length; from += BATCH) {
      const batch = cases.slice(from, from + BATCH);
      test(`cases ${from}..${from + batch.length - 1} (seed ${SEED}): 0 differences`, async () => {
        const failures: string[] = [];
        for (const [i, c] of batch.entries()) {
          const kernel = runC(tool.path, c, cDir);
          const ours = await runOurs(era, c, oDir);
          const d = compareOutcomes(kernel, ours);
          if (d.length > 0) {
            failures.push(`case ${from + i}: ${c.posix ? "POSIXLY_CORRECT=1 " : ""}page_owner_sort ${c.argv.map((a) => JSON.stringify(a)).join(" ")}\n  ${d.join("\n  ")}`);
          }
        }
        expect(failures.slice(0, 5).join("\n"), `${failures.length} of ${batch.length} cases differ`).toBe("");
      });
    }
  });
}
