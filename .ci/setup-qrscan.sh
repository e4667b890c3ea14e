#!/usr/bin/env bash
# Installs poppler's pdftoppm and zbar's zbarimg from Debian packages for tests/printing/test_qr_scan.py (the QR
# printed on a page is rasterised and scanned back). Idempotent; non-interactive; needs root only when missing.
set -euo pipefail

if command -v pdftoppm >/dev/null 2>&1 && command -v zbarimg >/dev/null 2>&1; then
  echo "pdftoppm and zbarimg already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-qrscan: pdftoppm/zbarimg missing and not root: install poppler-utils and zbar-tools" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Best effort: without them the two scan-back tests skip and say why; CI does not stop for an apt hiccup here.
if apt-get update -qq && apt-get install -y -q --no-install-recommends poppler-utils zbar-tools >/dev/null; then
  echo "pdftoppm and zbarimg installed"
else
  echo "setup-qrscan: could not install poppler-utils and zbar-tools; tests/printing/test_qr_scan.py will skip" >&2
fi
