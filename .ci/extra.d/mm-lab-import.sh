#!/usr/bin/env bash
# End to end: `mm-lab import` of the 6.1 fixture from the TypeScript sources must reproduce the
# capture's watermarks, protection and mixed-block counts, and bad input must exit 2. A few seconds.
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
set +e
run import /nonexistent-capture-dir 2>/dev/null
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "bad input exited $rc, not 2"; exit 1; }
