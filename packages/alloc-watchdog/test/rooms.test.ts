/** The source files ("rooms") import each other without cycles, type-only imports included. */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "../src");

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of readdirSync(SRC).filter((n) => n.endsWith(".ts"))) {
    const text = readFileSync(join(SRC, f), "utf8");
    const deps = [...text.matchAll(/from "\.\/([^"]+)\.js"/g)].map((m) => `${m[1]}.ts`);
    g.set(f, deps);
  }
  return g;
}

describe("rooms", () => {
  it("no import cycles between files", () => {
    const g = graph();
    const state = new Map<string, number>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 2) return;
      if (state.get(f) === 1) {
        cycles.push([...path.slice(path.indexOf(f)), f].join(" -> "));
        return;
      }
      state.set(f, 1);
      for (const d of g.get(f) ?? []) visit(d, [...path, f]);
      state.set(f, 2);
    };
    for (const f of g.keys()) visit(f, []);
    expect(cycles).toEqual([]);
    // the slow path's rooms exist and the driver reaches each of them
    for (const room of ["direct-reclaim.ts", "oom-kill.ts", "kswapd.ts", "task-state.ts"]) expect(g.get("slowpath.ts")).toContain(room);
  });

  it("no room is over 600 lines", () => {
    const long = [...graph().keys()].filter((f) => readFileSync(join(SRC, f), "utf8").split("\n").length > 600);
    expect(long).toEqual([]);
  });

  it("uses @mm/api's and @mm/sim's constants and PRNG, no local copies", () => {
    const copies: string[] = [];
    for (const f of graph().keys()) {
      const text = readFileSync(join(SRC, f), "utf8");
      if (/const MAX_RECLAIM_RETRIES|const PAGE_ALLOC_COSTLY_ORDER|const TASK_(RUNNING|INTERRUPTIBLE|UNINTERRUPTIBLE|COMM_LEN)\b|mulberry32|Math\.random/.test(text)) copies.push(f);
    }
    expect(copies).toEqual([]);
  });
});
