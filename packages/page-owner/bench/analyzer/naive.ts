// The naive baselines the benchmarks compare against: read the whole dump into memory, split it on
// blank lines and group with a Map of strings (what a quick script, or the kernel's C tool, does).

import { readFileSync } from "node:fs";

/**
 * The dump as strings of at most ~256 MiB, cut at blank lines. (V8 strings stop at 2^29 chars, so
 * even the naive approach has to cut a 1 GiB dump; each piece is split like a whole file would be.)
 */
function* pieces(path: string): Generator<string> {
  const buf = readFileSync(path);
  const max = 256 << 20;
  let start = 0;
  while (start < buf.length) {
    let end = Math.min(buf.length, start + max);
    if (end < buf.length) {
      const cut = buf.indexOf("\n\n", end);
      end = cut === -1 ? buf.length : cut + 2;
    }
    yield buf.toString("latin1", start, end);
    start = end;
  }
}

/** Naive `--stacks`: frames -> base pages. */
export function naiveStacks(path: string): string {
  const pages = new Map<string, number>();
  for (const text of pieces(path)) {
    for (const block of text.split("\n\n")) {
      if (block === "") continue;
      const lines = block.split("\n");
      const m = /order (\d+)/.exec(lines[0]);
      if (m === null) continue;
      const frames = lines.filter((l) => l.startsWith(" ")).join("\n");
      pages.set(frames, (pages.get(frames) ?? 0) + 2 ** Number(m[1]));
    }
  }
  return [...pages]
    .sort((a, b) => b[1] - a[1])
    .map(([f, n]) => `${f}\nnr_base_pages: ${n}\n\n`)
    .join("");
}

/** Naive page_owner_sort (6.12 default): block text without PFN line and ts digits -> times, pages. */
export function naiveSort(path: string): string {
  const groups = new Map<string, { times: number; pages: number }>();
  for (const text of pieces(path)) {
    for (const block of text.split("\n\n")) {
      if (block === "") continue;
      const txt = block
        .split("\n")
        .filter((l) => !l.startsWith("PFN"))
        .join("\n")
        .replace(/ts (\d+) ns/, "ts  ns");
      const m = /order (\d+)/.exec(txt);
      const g = groups.get(txt);
      const pages = m === null ? 0 : 2 ** Number(m[1]);
      if (g === undefined) groups.set(txt, { times: 1, pages });
      else {
        g.times++;
        g.pages += pages;
      }
    }
  }
  return [...groups]
    .sort((a, b) => b[1].times - a[1].times)
    .map(([t, g]) => `${g.times} times, ${g.pages} pages:\n${t}\n\n`)
    .join("");
}
