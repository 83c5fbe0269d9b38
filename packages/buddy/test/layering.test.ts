/** The rooms of src/ form a layered graph: no file imports itself through others. */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of sources(SRC)) {
    const text = readFileSync(f, "utf8");
    const deps = [...text.matchAll(/from "(\.[^"]+)"/g)].map((m) => relative(SRC, normalize(join(dirname(f), m[1].replace(/\.js$/, ".ts")))));
    g.set(relative(SRC, f), deps);
  }
  return g;
}

function cycles(g: Map<string, string[]>): string[][] {
  const state = new Map<string, number>();
  const found: string[][] = [];
  const stack: string[] = [];
  const visit = (u: string): void => {
    state.set(u, 1);
    stack.push(u);
    for (const v of g.get(u) ?? []) {
      if (state.get(v) === 1) found.push([...stack.slice(stack.indexOf(v)), v]);
      else if (state.get(v) === undefined) visit(v);
    }
    stack.pop();
    state.set(u, 2);
  };
  for (const u of g.keys()) if (state.get(u) === undefined) visit(u);
  return found;
}

describe("src layering", () => {
  const g = graph();
  it("has no import cycles between files", () => {
    expect(g.size).toBeGreaterThan(15);
    expect(cycles(g)).toEqual([]);
  });
  it("the cycle finder finds a planted cycle", () => {
    const planted = new Map(g);
    planted.set("internal/node.ts", [...(g.get("internal/node.ts") ?? []), "machine.ts"]);
    expect(cycles(planted).length).toBeGreaterThan(0);
  });
  it("invariants.ts and internal/node.ts depend on the state, not on the rooms", () => {
    // watermarks.ts is arithmetic over plain numbers (no state, no rooms): the checker recomputes with it.
    expect(g.get("invariants.ts")?.sort()).toEqual(["internal/node.ts", "page-state.ts", "watermarks.ts"]);
    // internal/page-arrays.ts hands out the per-page arrays (fresh, or a disposed machine's): a leaf
    const leaves = ["api.ts", "layout.ts", "ratelimit.ts", "watermarks.ts", "internal/page-arrays.ts"];
    for (const d of g.get("internal/node.ts") ?? []) expect(leaves).toContain(d);
    expect(g.get("internal/page-arrays.ts") ?? []).toEqual([]);
  });
});
