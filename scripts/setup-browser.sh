#!/usr/bin/env bash
# Install the browser that the playground's browser test drives: Debian's chromium.
# Playwright's own browser downloads are never used (they need the internet and pin a
# build per Playwright release); the test points Playwright at this system binary.
# Idempotent: does nothing when the binary is already there.
set -euo pipefail

CHROMIUM="${AUGUR_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
    echo "setup-browser: chromium found at $CHROMIUM"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    echo "setup-browser: no chromium at $CHROMIUM, and installing it needs root." >&2
    echo "  Run as root: apt-get install -y --no-install-recommends chromium" >&2
    echo "  or point AUGUR_CHROMIUM at an existing Chromium or Chrome binary." >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-browser: no chromium at $CHROMIUM and no apt-get to install it." >&2
    echo "  Install Chromium with your system's package manager and set AUGUR_CHROMIUM" >&2
    echo "  to its path." >&2
    exit 1
fi

echo "setup-browser: installing Debian's chromium (apt-get)..."
if ! { "${SUDO[@]}" apt-get update -q \
       && "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
          apt-get install -y -q --no-install-recommends chromium; }; then
    echo "setup-browser: apt-get could not install chromium (offline, or no such package" >&2
    echo "  in this distribution?). Install it by hand and set AUGUR_CHROMIUM if it lands" >&2
    echo "  somewhere other than /usr/bin/chromium." >&2
    exit 1
fi

if [ ! -x "$CHROMIUM" ]; then
    echo "setup-browser: chromium installed, but not at $CHROMIUM;" \
         "set AUGUR_CHROMIUM to its path ($(command -v chromium || echo 'not on PATH'))." >&2
    exit 1
fi
echo "setup-browser: chromium ready at $CHROMIUM"
