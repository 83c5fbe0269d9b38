# Shared helpers for .ci/run and its pre.d/ and extra.d/ steps (sourced, not run).
# apt_need PKG...: installs the Debian packages that are missing, running `apt-get update` once per CI run.
# Returns non-zero when they cannot be had; callers then skip with a message, never silently.
apt_need() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || { echo "ci: apt-get not found; cannot install ${missing[*]}"; return 1; }
  if [ -z "${CI_APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || echo "ci: apt-get update failed"
    export CI_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { echo "ci: could not install ${missing[*]}"; return 1; }
}
