#!/usr/bin/env bash
# Debian packages partprint's full test suite uses: PostgreSQL (registry tests on a real server),
# Debian's CPU PyTorch (trainer smoke test), Chromium (browser end-to-end tests).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(postgresql python3-torch python3-torchvision python3-numpy python3-pil python3-onnx python3-pytest chromium fonts-dejavu-core)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
