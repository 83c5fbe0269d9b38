#!/usr/bin/env bash
# The cluster path for real: a single-node Slurm (Debian's slurmd/slurmctld/munge) runs a 4-task
# job array of a small sweep; merged shards must equal the local run (scripts/test-slurm.sh).
# Measured here at 19-24 s with the packages installed, about 15 s more to install them.
# If the packages cannot be installed it says so and skips; a wrong merge fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
. .ci/lib.sh
if ! apt_need slurmd slurmctld munge slurm-client; then
  echo "mm-lab slurm: SKIPPED (could not install slurmd slurmctld munge slurm-client)"
  exit 0
fi
npx --yes -p pnpm@12.21.0 -c "pnpm exec turbo run build --filter=@mm/lab... --output-logs=errors-only" >/dev/null || exit 1
timeout 170 bash scripts/test-slurm.sh
