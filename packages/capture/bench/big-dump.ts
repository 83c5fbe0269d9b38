/**
 * A 17 MB page_owner capture made from the 6.1 fixture at bench time (never committed): the
 * fixture's records, then a copy of them shifted up by 65536 pfns (Block numbers with them),
 * cut at the first record boundary past 17,000,000 bytes, with a dmesg whose memblock map spans
 * both copies (a 512 MiB machine).
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { CaptureInput } from "@mm/capture";

export const BIG_BYTES = 17_000_000;

export function bigCapture(): CaptureInput {
  const dump = gunzipSync(readFileSync(new URL("../../../fixtures/kernel-6.1-256M/page_owner.txt.gz", import.meta.url))).toString("latin1");
  const shifted = dump.replace(/^PFN (\d+) (type \S+) Block (\d+) /gm, (_m, p: string, t: string, b: string) => `PFN ${Number(p) + 65536} ${t} Block ${Number(b) + 128} `);
  const both = dump + shifted;
  const cut = both.indexOf("\n\n", BIG_BYTES) + 2;
  const text = both.slice(0, cut);
  const dmesg = [
    "[    0.000000] Early memory node ranges",
    "[    0.000000]   node   0: [mem 0x0000000000001000-0x000000000009efff]",
    "[    0.000000]   node   0: [mem 0x0000000000100000-0x000000001ffdcfff]",
    "",
  ].join("\n");
  return { pageOwner: Buffer.from(text, "latin1"), dmesg };
}
