#!/usr/bin/env bash
# Run in an image's build stage: assembles DEST, the whole root filesystem of
# the final image (which is FROM scratch): Node, the shared libraries that Node
# and the given native modules load, /usr/bin/env for the bins' shebangs, the CA
# certificates, a passwd/group naming root and nonroot (65532), and /tmp.
# Nothing else of the build stage: no shell, no npm, no apt, no compiler, no docs.
# (A final stage FROM the Node image, with npm and the rest deleted, would still
# carry them in its lower layers.)
# Usage: runtime-rootfs.sh DEST [NATIVE_MODULE.node ...]
set -euo pipefail

dest="${1:?usage: runtime-rootfs.sh DEST [NATIVE_MODULE.node ...]}"
shift
node="$(command -v node)"

mkdir -p "$dest/usr/local/bin" "$dest/usr/bin" "$dest/etc/ssl/certs" "$dest/tmp"
chmod 1777 "$dest/tmp"
cp -L "$node" "$dest/usr/local/bin/node"
cp -L /usr/bin/env "$dest/usr/bin/env"

# The loader's path in the ELF header is /lib64/…, and ldd names libraries by /lib/…: on bookworm (merged
# /usr) both are links into /usr, made first so that the libraries copied through them land in /usr.
for link in /lib /lib64; do
  if [[ -L "$link" ]]; then
    target="$(readlink "$link")"
    mkdir -p "$dest/${target#/}"
    ln -s "$target" "$dest$link"
  fi
done
# Every library a binary links, by the path the dynamic loader resolves it to, and the loader itself.
for binary in "$node" /usr/bin/env "$@"; do
  ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | sort -u | while read -r lib; do
  mkdir -p "$dest$(dirname "$lib")"
  cp -L "$lib" "$dest$lib"
done

cp -L /etc/ssl/certs/ca-certificates.crt "$dest/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$dest/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$dest/etc/group"
# glibc resolves names through files and DNS (both built into libc since 2.34).
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$dest/etc/nsswitch.conf"
