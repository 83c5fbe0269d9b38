#!/usr/bin/env bash
# End to end: `mm-lab import` of the 6.1 fixture from the TypeScript sources must reproduce the
# capture's watermarks, protection and mixed-block counts, and bad input must exit 2; an experiment
# started from the capture (--from) must report its real free memory. A few seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
run() { node_modules/.bin/tsx --conditions=@mm/source apps/mm-lab/src/main.ts "$@"; }
run import fixtures/kernel-6.1-256M --json --what-if all > /tmp/mm-lab-import-$$.json
node -e '
const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]);
const r = j.import.report;
if (r.watermarksEqual !== true) throw new Error("watermarks differ from zoneinfo");
if (!r.pagetypeinfo.mixed.every((z) => z.equal)) throw new Error("mixed blocks differ from pagetypeinfo");
if (r.free.explained !== true) throw new Error("free-page difference not explained");
if (j.whatIf.reporting.length < 2) throw new Error("no reporting what-if");
console.log(`import ok: ${j.import.dump.records} records, free ${r.free.imported} vs MemFree ${r.free.memFree}`);
' /tmp/mm-lab-import-$$.json
rm -f /tmp/mm-lab-import-$$.json
run run reporting-ab --from fixtures/kernel-6.1-256M --policies off,fixed --json > /tmp/mm-lab-from-$$.jsonl
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
const [off, fixed] = rows;
if (off.policy !== "off" || fixed.policy !== "fixed") throw new Error("--from: rows are not one per policy");
if (off.freeAtStart !== fixed.freeAtStart || !(fixed.peakIsolated > 0) || off.peakIsolated !== 0) throw new Error("--from: not the capture free memory");
if (!("mmLab" in rows[2])) throw new Error("--from: no provenance line");
console.log(`--from ok: fixed isolates ${fixed.peakIsolated} of ${fixed.freeAtStart} free pages at once`);
' /tmp/mm-lab-from-$$.jsonl
rm -f /tmp/mm-lab-from-$$.jsonl
set +e
run import /nonexistent-capture-dir 2>/dev/null
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "bad input exited $rc, not 2"; exit 1; }
