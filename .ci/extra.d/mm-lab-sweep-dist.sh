#!/usr/bin/env bash
# mm-lab sweep as users run it: the built dist/ with worker threads (--jobs 2), through `npx mm-lab`
# from the repo root, against the TypeScript sources in one thread; the JSONL exports must be
# byte-identical, and `npx mm-lab query` must read the store. Takes about 10 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
npx --yes -p pnpm@12.21.0 -c "pnpm exec turbo run build --filter=@mm/lab... --output-logs=errors-only" >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
args=(sweep reporting-ab --grid 'startDelayRatio=0.5,1.1' --policies fixed,pang --seeds 2)
npx --no-install mm-lab "${args[@]}" --jobs 2 --db "$tmp/dist.duckdb" --out "$tmp/dist.jsonl" >/dev/null
node --import tsx --conditions=@mm/source apps/mm-lab/src/main.ts "${args[@]}" --jobs 1 --db "$tmp/src.duckdb" --out "$tmp/src.jsonl" >/dev/null
cmp "$tmp/dist.jsonl" "$tmp/src.jsonl"
n=$(npx --no-install mm-lab query "$tmp/dist.duckdb" "SELECT count(*) AS n FROM results" --json)
[ "$n" = '{"n":"8"}' ] || { echo "query gave $n"; exit 1; }
echo "mm-lab sweep: dist --jobs 2 == sources --jobs 1 (8 runs), query reads the store"
