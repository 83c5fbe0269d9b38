import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript source, so tests pass with every dist/ deleted.
// Since Vite 6 configured conditions replace the defaults, and Vitest's node env uses the SSR resolver.
const conditions = ["@mm/source", ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ["test/**/*.test.ts"],
    benchmark: { include: ["bench/**/*.bench.ts"] },
    restoreMocks: true,
    setupFiles: [new URL("./vitest.setup.ts", import.meta.url).pathname],
    // CI runs every package's lint, typecheck and tests at once on 2 cores (turbo), so a test that
    // takes 20 s alone (the buddy property streams, the trace fixture replay) can take minutes there.
    testTimeout: 300_000,
    // .ci/run sums these per-package reports into its "N passed, N failed" line.
    reporters: ["default", "json"],
    outputFile: { json: ".test-report.json" },
  },
});
