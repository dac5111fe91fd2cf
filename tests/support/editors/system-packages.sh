#!/usr/bin/env bash
# Debian's packages the editor tests need, installed when missing: chromium (driven by
# Playwright through executable_path: Playwright's own browser download is not reachable) and
# libkrb5-dev (code-server's native modules build against it). .ci/run and the tests' own
# set-up both call this.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
