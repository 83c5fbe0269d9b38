// The root `npx mm-lab` launcher (bin/mm-lab.js): dist/ only while it is as new as every source it
// was built from, else the TypeScript sources. Run for real on a small fake workspace whose
// dist/main.js and src/main.ts say which of them ran.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { staleDist as stale } from "../bin/stale-dist.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = mkdtempSync(join(tmpdir(), "mm-lab-launcher-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const T0 = new Date("2026-01-01T00:00:00Z");
const at = (s: number): Date => new Date(T0.getTime() + s * 1000);
function put(rel: string, text: string, mtime: Date): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  utimesSync(p, mtime, mtime);
}
const touch = (rel: string, mtime: Date): void => utimesSync(join(root, rel), mtime, mtime);

// sources at t=0, builds at t=10
put("apps/mm-lab/package.json", "{}", at(0));
put("apps/mm-lab/src/main.ts", 'process.stdout.write("src\\n");\n', at(0));
put("apps/mm-lab/src/sweep/pool.ts", "", at(0));
put("apps/mm-lab/dist/main.js", 'process.stdout.write("dist\\n");\n', at(10));
put("apps/mm-lab/dist/index.js", "", at(10));
put("packages/buddy/package.json", "{}", at(0));
put("packages/buddy/src/alloc.ts", "", at(0));
put("packages/buddy/dist/index.js", "", at(10));
mkdirSync(join(root, "apps/mm-lab/bin"));
for (const f of ["mm-lab.js", "stale-dist.js"]) copyFileSync(join(here, "../bin", f), join(root, "apps/mm-lab/bin", f));
symlinkSync(join(here, "../../../node_modules"), join(root, "node_modules"), "dir");

function launch(): { out: string; err: string; code: number | null } {
  const r = spawnSync(process.execPath, [join(root, "apps/mm-lab/bin/mm-lab.js")], { encoding: "utf8", env: { ...process.env, MM_LAB_DEBUG: "1" } });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

describe("stale dist", () => {
  it("dist runs while every package's build is as new as its sources", () => {
    expect(stale(root)).toBeNull();
    const r = launch();
    expect(r).toMatchObject({ out: "dist\n", code: 0 });
    expect(r.err).toMatch(/running dist/);
  });

  it("a source edited after the build runs the sources, and says which file", () => {
    touch("packages/buddy/src/alloc.ts", at(20));
    expect(stale(root)).toBe("packages/buddy/src/alloc.ts is newer than packages/buddy/dist");
    const r = launch();
    expect(r).toMatchObject({ out: "src\n", code: 0 });
    expect(r.err).toMatch(/sources through tsx \(packages\/buddy\/src\/alloc\.ts is newer/);
    // the rebuild (tsc rewrites dist/index.js) makes dist current again
    touch("packages/buddy/dist/index.js", at(21));
    expect(launch().out).toBe("dist\n");
  });

  it("the app's own sources and package.json count; tests do not (tsc leaves them out)", () => {
    touch("apps/mm-lab/src/sweep/pool.ts", at(30));
    expect(stale(root)).toBe("apps/mm-lab/src/sweep/pool.ts is newer than apps/mm-lab/dist");
    touch("apps/mm-lab/dist/index.js", at(31));
    put("apps/mm-lab/src/sweep/pool.test.ts", "", at(40));
    expect(stale(root)).toBeNull();
    touch("apps/mm-lab/package.json", at(41));
    expect(stale(root)).toBe("apps/mm-lab/package.json is newer than apps/mm-lab/dist");
    touch("apps/mm-lab/dist/index.js", at(42));
  });

  it("a package never built, or no CLI build at all, runs the sources", () => {
    put("packages/sim/package.json", "{}", at(0));
    put("packages/sim/src/index.ts", "", at(0));
    expect(stale(root)).toBe("packages/sim/dist is not built");
    put("packages/sim/dist/index.js", "", at(50));
    expect(stale(root)).toBeNull();
    rmSync(join(root, "apps/mm-lab/dist/main.js"));
    expect(stale(root)).toBe("apps/mm-lab/dist/main.js is not built");
    expect(launch().out).toBe("src\n");
  });
});
