# Builds the kernel's page_owner_sort 6.1 and 6.12 (from Debian's linux-source-* packages) for
# @mm/page-owner's differential test; ~15 s (download ~4 s, streaming one member out of each
# ~140 MB .tar.xz ~12 s, in parallel). Sourced by .ci/run. On failure the differential test
# skips with a message naming the missing tool.
if apt_need gcc libc6-dev xz-utils; then
  packages/page-owner/scripts/build-kernel-tools.sh \
    || echo "ci: page_owner_sort kernel tools not built; the differential test will skip"
else
  echo "ci: gcc/xz not available; the page_owner_sort differential test will skip"
fi
