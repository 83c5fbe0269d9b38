#!/usr/bin/env bash
# A real single-node Slurm from Debian's packages (slurmd, slurmctld, munge): submit a 4-task job
# array of a small sweep with deploy/mm-lab-sweep.sbatch, merge the shards, and compare the merged
# JSONL with the same sweep run locally. Every daemon it starts is stopped by its pid. Run as root
# after `npm run demo` (needs apps/mm-lab/dist): `npm run test:slurm`.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
[ -f apps/mm-lab/dist/main.js ] || { echo "test-slurm: build first (npm run demo or pnpm build)"; exit 1; }
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmd slurmctld munge slurm-client >/dev/null
fi
tmp=$(mktemp -d /tmp/mm-lab-slurm.XXXXXX)
pids=()
cleanup() {
  # daemons write their pid files; read them now, then stop exactly those processes
  for f in "$tmp"/slurmd.pid "$tmp"/slurmctld.pid "$tmp"/munge/munged.pid; do
    [ -s "$f" ] && pids+=("$(cat "$f")")
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 10); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.5
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
host=$(hostname -s)
chmod 755 "$tmp"
mkdir -p "$tmp"/{state,spool,munge,results}
chown munge:munge "$tmp/munge"
cat > "$tmp/slurm.conf" <<CONF
ClusterName=mmlab
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldPort=16817
SlurmdPort=16818
ReturnToService=2
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=10 State=UP
CONF
export SLURM_CONF="$tmp/slurm.conf"
su -s /bin/sh munge -c "munged --socket=$tmp/munge/munge.socket --pid-file=$tmp/munge/munged.pid --seed-file=$tmp/munge/seed --log-file=$tmp/munge/log"
export MUNGE_SOCKET="$tmp/munge/munge.socket"
# slurm talks to munge through libmunge's default socket unless told; point the daemons at ours
sed -i "1i AuthInfo=socket=$tmp/munge/munge.socket" "$tmp/slurm.conf"
slurmctld -f "$tmp/slurm.conf"
slurmd -f "$tmp/slurm.conf"
for _ in $(seq 30); do sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mix' && break; sleep 1; done
sinfo
args="buddyinfo --grid memory=32,48,64 --seconds 0.2 --seeds 3"
job=$(MM_LAB_DIR="$repo" MM_LAB_RESULTS="$tmp/results" MM_LAB_SWEEP_ARGS="$args" \
  sbatch --parsable --array=0-3 --chdir="$tmp" --export=ALL "$repo/deploy/mm-lab-sweep.sbatch")
echo "submitted job array $job"
for _ in $(seq 120); do [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break; sleep 1; done
ls "$tmp/results"
node apps/mm-lab/dist/main.js merge "$tmp"/results/shard-*.duckdb -o "$tmp/all.duckdb" --out "$tmp/all.jsonl"
# shellcheck disable=SC2086
node apps/mm-lab/dist/main.js sweep $args --jobs 1 --db "$tmp/local.duckdb" --out "$tmp/local.jsonl" >/dev/null
cmp "$tmp/all.jsonl" "$tmp/local.jsonl"
echo "test-slurm: 4-task Slurm array merged == local run ($(wc -l < "$tmp/local.jsonl") rows)"
