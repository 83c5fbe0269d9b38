/**
 * Booting a 64 GiB machine (memmap, memblock_free_all, watermarks) against the bare cost of
 * allocating the same per-page typed arrays, and the host bytes each simulated page costs.
 */
import { bench, describe } from "vitest";
import { createMachine } from "@mm/buddy";

const BYTES = 64 * 2 ** 30;
const PAGES = BYTES / 4096;

{
  const m = createMachine({ memoryBytes: BYTES });
  const arrays = [m.flags, m.refcount, m.order, m.next, m.prev, m.pageblockMt, m.pageblockWasHighatomic, m.sectionOnline];
  const bytes = arrays.reduce((s, a) => s + a.byteLength, 0);
  console.log(
    `64 GiB machine: ${m.nrPfns} pfns, ${bytes} bytes of page state = ${(bytes / m.nrPfns).toFixed(3)} host bytes per simulated page`,
  );
}

describe("boot a 64 GiB machine", () => {
  bench(
    "createMachine({ memoryBytes: 64 GiB })",
    () => {
      createMachine({ memoryBytes: BYTES });
    },
    { time: 3000, warmupIterations: 1 },
  );
  bench(
    "baseline: allocate the same typed arrays only",
    () => {
      new Uint8Array(PAGES);
      new Int32Array(PAGES);
      new Uint8Array(PAGES);
      new Int32Array(PAGES);
      new Int32Array(PAGES);
    },
    { time: 3000, warmupIterations: 1 },
  );
});
