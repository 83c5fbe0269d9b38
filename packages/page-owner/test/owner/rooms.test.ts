/** The simulator-side source files ("rooms") import each other without cycles, type-only imports included. */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "../../src/owner");

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
    expect(g.get("page-owner.ts")).toContain("hooks.ts");
  });

  it("no room is over 600 lines", () => {
    const long = [...graph().keys()].filter((f) => readFileSync(join(SRC, f), "utf8").split("\n").length > 600);
    expect(long).toEqual([]);
  });
});
