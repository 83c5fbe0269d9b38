/** The repo root above `apps/mm-lab/bin/`. */
export declare const REPO_ROOT: string;
/** Why dist/ must not run (names the first stale or unbuilt package), or null when it may. */
export declare function staleDist(root?: string): string | null;
