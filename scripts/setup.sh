#!/usr/bin/env bash
# Install the Debian packages the build and tests need. Idempotent; uses sudo only when not root.
set -euo pipefail
PKGS=(cmake make gcc pkg-config
      libprotobuf-c-dev protobuf-c-compiler libonnx-dev
      libyaml-dev libpng-dev libjpeg62-turbo-dev zlib1g-dev
      libcmocka-dev libonnx-testdata)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
