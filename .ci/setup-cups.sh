#!/usr/bin/env bash
# Installs the CUPS scheduler and client from Debian packages for tests/printing/test_cups.py, which starts
# its own private cupsd (unix socket in a temp dir, no system queue touched) with a capture backend that
# writes each job to a file. Idempotent; non-interactive; needs root only when something is missing.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

if have cupsd && have lp && have lpadmin && have lpstat; then
  echo "CUPS already installed: $(command -v lp)"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-cups: cupsd/lp missing and not root: install cups-daemon and cups-client" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# cups-daemon: cupsd and its exec helper; cups-client: lp, lpadmin, lpstat. No filters or drivers are
# needed: the test queue is raw and its backend only copies the job.
apt-get install -y -q --no-install-recommends cups-daemon cups-client >/dev/null
have cupsd && have lp && have lpadmin
echo "CUPS installed: $(command -v lp)"
