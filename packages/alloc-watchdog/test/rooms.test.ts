/**
 * The rooms of the slow-path model: the driver reaches each of them, and no room keeps a local
 * copy of @mm/api's or @mm/sim's constants or PRNG. (Import cycles and files over 600 lines are
 * caught by the repository's lint: import-x/no-cycle, max-lines.)
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname, "../src");
const files = readdirSync(SRC).filter((n) => n.endsWith(".ts"));
const text = (f: string): string => readFileSync(join(SRC, f), "utf8");

describe("rooms", () => {
  it("the slow-path driver reaches reclaim, OOM, kswapd and task state", () => {
    const deps = [...text("slowpath.ts").matchAll(/from "\.\/([^"]+)\.js"/g)].map((m) => `${m[1]}.ts`);
    for (const room of ["direct-reclaim.ts", "oom-kill.ts", "kswapd.ts", "task-state.ts"]) expect(deps).toContain(room);
  });

  it("uses @mm/api's and @mm/sim's constants and PRNG, no local copies", () => {
    const copies = files.filter((f) =>
      /const MAX_RECLAIM_RETRIES|const PAGE_ALLOC_COSTLY_ORDER|const TASK_(RUNNING|INTERRUPTIBLE|UNINTERRUPTIBLE|COMM_LEN)\b|mulberry32|Math\.random/.test(text(f)),
    );
    expect(copies).toEqual([]);
  });
});
