#!/usr/bin/env bash
# Builds the kernel's own page_owner_sort (6.1: tools/vm/, 6.12: tools/mm/) from Debian's
# linux-source-6.1 / linux-source-6.12 packages, for the differential test and the bench.
#
#   packages/page-owner/scripts/build-kernel-tools.sh [CACHE_DIR]
#
# CACHE_DIR (default $MM_KERNEL_TOOLS_DIR, else ~/.cache/mm-lab/kernel-tools) is outside the repo:
# nothing here is ever committed. It ends up holding page_owner_sort-6.1, page_owner_sort-6.12 and
# VERSIONS (the Debian package versions built). Only the one .c member is extracted; the .deb
# (~140-150 MB each) is deleted afterwards. A tool already built is kept (delete it to rebuild).
#
# Cost, measured on the 2-core CI box (2026-12-02): apt-get download of both packages ~4 s;
# extracting one member needs the whole inner .tar.xz decompressed as a stream (tools/ sits near
# the end of the tarball): ~12 s (6.1) and ~9 s (6.12), run in parallel; gcc <1 s each.
# Exits non-zero (with a message on stderr) when a tool cannot be built; callers skip then.
set -uo pipefail

cache=${1:-${MM_KERNEL_TOOLS_DIR:-$HOME/.cache/mm-lab/kernel-tools}}
mkdir -p "$cache" || { echo "build-kernel-tools: cannot create $cache" >&2; exit 1; }
cache=$(cd "$cache" && pwd)

for t in apt-get dpkg-deb tar xz gcc; do
  command -v "$t" >/dev/null 2>&1 || { echo "build-kernel-tools: '$t' not found" >&2; exit 1; }
done

# build_one SERIES MEMBER_DIR: download linux-source-SERIES, extract MEMBER_DIR/page_owner_sort.c, gcc.
build_one() {
  local series=$1 subdir=$2 bin="$cache/page_owner_sort-$1"
  [ -x "$bin" ] && return 0
  local work
  work=$(mktemp -d "$cache/.work-$series.XXXXXX") || return 1
  (
    cd "$work" || exit 1
    # apt-get download runs unsandboxed when _apt cannot write here; that warning is expected.
    if ! apt-get download -qq "linux-source-$series" 2>/dev/null; then
      apt-get update -qq >/dev/null 2>&1
      apt-get download -qq "linux-source-$series" 2>/dev/null \
        || { echo "build-kernel-tools: apt-get download linux-source-$series failed" >&2; exit 1; }
    fi
    deb=$(ls linux-source-"$series"_*.deb) || exit 1
    version=$(dpkg-deb -f "$deb" Version)
    member="linux-source-$series/$subdir/page_owner_sort.c"
    # --occurrence=1: tar stops after the member instead of reading the rest of the stream.
    # The writers upstream of it then die of SIGPIPE: expected, hence their silenced stderr.
    dpkg-deb --fsys-tarfile "$deb" 2>/dev/null \
      | tar -xOf - "./usr/src/linux-source-$series.tar.xz" 2>/dev/null \
      | xz -dc 2>/dev/null \
      | tar -xf - --occurrence=1 "$member" 2>/dev/null
    [ -s "$member" ] || { echo "build-kernel-tools: $member not found in $deb" >&2; exit 1; }
    rm -f "$deb"
    gcc -O2 -o "page_owner_sort-$series" "$member" \
      || { echo "build-kernel-tools: gcc failed on $member" >&2; exit 1; }
    mv "page_owner_sort-$series" "$bin" && echo "$series $version" >"$cache/VERSION-$series"
  )
  local rc=$?
  rm -rf "$work"
  return $rc
}

t0=$(date +%s)
build_one 6.1 tools/vm & p61=$!
build_one 6.12 tools/mm & p612=$!
rc=0
wait $p61 || rc=1
wait $p612 || rc=1
cat "$cache"/VERSION-6.1 "$cache"/VERSION-6.12 2>/dev/null >"$cache/VERSIONS"
echo "build-kernel-tools: $(tr '\n' ' ' <"$cache/VERSIONS")in $cache ($(( $(date +%s) - t0 ))s)"
exit $rc
