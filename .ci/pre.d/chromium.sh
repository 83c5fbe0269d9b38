# Debian's chromium for the report's browser test (apps/mm-lab/test/report/browser.test.ts).
# playwright-core is pinned (1.64.1) to the release whose bundled Chromium major (156) matches
# Debian bookworm-security's chromium (156.0.8078.114 on 2026-12-02). If the install fails the
# browser test skips with its reason; this step never fails CI.
if apt_need chromium; then
  echo "ci: chromium: $(chromium --version 2>/dev/null | tail -n 1)"
else
  echo "ci: chromium unavailable; the report browser test will skip"
fi
