/**
 * Importing a 17 MB page_owner dump (the acceptance asks for <= 3 s) against two baselines measured
 * in the same run: parsing the same bytes with @mm/page-owner's parser and nothing else (the floor
 * any import pays), and booting the same 512 MiB machine without placing anything.
 */
import { createMachine } from "@mm/buddy";
import { importCapture } from "@mm/capture";
import { PageOwnerParser } from "@mm/page-owner";
import { bench, describe } from "vitest";
import { BIG_BYTES, bigCapture } from "./big-dump.js";

const input = bigCapture();
const bytes = (input.pageOwner as Uint8Array).byteLength;
{
  const t = performance.now();
  const imp = importCapture(input);
  console.log(
    `${bytes} bytes (>= ${BIG_BYTES}), ${imp.placement.placedRecords} records, ${imp.placement.placedPages} pages: ` +
      `one cold import ${(performance.now() - t).toFixed(0)} ms (node ${process.version})`,
  );
}

describe(`import a ${(bytes / 1e6).toFixed(1)} MB page_owner dump`, () => {
  bench(
    "importCapture (parse + index + plan + boot + place + compare)",
    () => {
      importCapture(input);
    },
    { time: 4000, warmupIterations: 1 },
  );
  bench(
    "baseline: PageOwnerParser over the same bytes, records dropped",
    () => {
      const p = new PageOwnerParser(() => {}, {}, true);
      p.push(input.pageOwner);
      p.end();
    },
    { time: 4000, warmupIterations: 1 },
  );
  bench(
    "baseline: boot the same 512 MiB machine, nothing placed",
    () => {
      createMachine({ ranges: [{ startPfn: 1, endPfn: 159 }, { startPfn: 256, endPfn: 131037 }] });
    },
    { time: 2000, warmupIterations: 1 },
  );
});
