#!/usr/bin/env bash
# Installs the Debian packages the lab runs (see test/lab/README.md):
# containerd and runc for the simulated nodes, docker-registry for the
# loopback registry, skopeo to push test images and busybox-static as the
# content of images whose containers really start.
# Idempotent: prints nothing and changes nothing when all are present.
set -euo pipefail

# prometheus brings promtool (the alert rules tests), chromium the web page tests; buildah builds the
# images without a Docker daemon and mmdebstrap their base where node:24-bookworm-slim cannot be pulled
# (npm run images, test/images).
packages=(containerd runc docker-registry skopeo busybox-static prometheus chromium fonts-dejavu-core buildah mmdebstrap)

missing=()
for pkg in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
  echo "lab setup: missing Debian packages: ${missing[*]}" >&2
  echo "lab setup: installing them needs root; run: sudo bash $0" >&2
  echo "lab setup: (the lab itself also runs as root: containerd and runc need it)" >&2
  exit 1
fi

echo "lab setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${packages[@]}" >/dev/null
echo "lab setup: done"
