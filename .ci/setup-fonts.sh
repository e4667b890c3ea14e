#!/usr/bin/env bash
# Installs the fonts printing/fonts.py falls back to for names outside Latin-1 (Vietnamese, Cyrillic, Greek,
# Arabic, Thai, Devanagari, Chinese, Japanese, Korean), from Debian packages, for tests/printing/test_scripts.py
# and for any office machine. Without them the workstation still prints Latin text and refuses (at intake) the
# names it cannot draw. Idempotent; non-interactive; needs root only when something is missing.
#
#   fonts-noto-core       NotoSans (Latin incl. Vietnamese, Greek, Cyrillic), NotoNaskhArabic, NotoSansThai,
#                         NotoSansDevanagari                                            SIL OFL 1.1
#   fonts-droid-fallback  DroidSansFallbackFull (Han ideographs, kana; TrueType)        Apache 2.0
#   fonts-nanum           NanumGothic (Hangul)                                           SIL OFL 1.1
# Licences: /usr/share/doc/<package>/copyright. Both licences allow embedding (subsets) in documents.
set -euo pipefail

FONTS=/usr/share/fonts/truetype
need=()
[ -f "$FONTS/noto/NotoSans-Regular.ttf" ] && [ -f "$FONTS/noto/NotoNaskhArabic-Regular.ttf" ] || need+=(fonts-noto-core)
[ -f "$FONTS/droid/DroidSansFallbackFull.ttf" ] || need+=(fonts-droid-fallback)
[ -f "$FONTS/nanum/NanumGothic.ttf" ] || need+=(fonts-nanum)

if [ ${#need[@]} -eq 0 ]; then
  echo "fonts already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-fonts: missing ${need[*]} and not root: install them with apt-get" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
echo "fonts installed: ${need[*]}"
