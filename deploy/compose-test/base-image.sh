#!/usr/bin/env bash
# The stand-in for python:3.11-slim, made offline from Debian's packages: debootstrap
# bookworm (minbase) with its Python 3.11, a venv at /usr/local so the paths match the
# official image (/usr/local/bin/python, /usr/local/lib/python3.11/site-packages), then
# `docker import`. Cached twice: the image itself, and the tarball in $CACHE_DIR (a
# Docker engine started afresh imports it in seconds).
set -euo pipefail
DOCKER=${DOCKER:-docker}
IMAGE=${BASE_IMAGE:-ainative-base:bookworm-py311}
CACHE_DIR=${CACHE_DIR:-/var/cache/ainative-compose-test}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
TARBALL=$CACHE_DIR/bookworm-py311.tar

if $DOCKER image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "base image $IMAGE: cached"; exit 0
fi
mkdir -p "$CACHE_DIR"
if [ ! -s "$TARBALL" ]; then
    command -v debootstrap >/dev/null || apt-get install -y --no-install-recommends debootstrap
    root=$(mktemp -d /tmp/ainative-rootfs.XXXXXX)
    trap 'rm -rf "$root"' EXIT
    debootstrap --variant=minbase \
        --include=python3,python3-venv,ca-certificates,libpq5,curl,netbase \
        bookworm "$root" "$MIRROR"
    chroot "$root" python3 -m venv /usr/local
    chroot "$root" /usr/local/bin/python -m pip --version
    # Lean: no package lists, caches, docs or locales (as the slim image).
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
        "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
        "$root"/usr/share/locale/* "$root"/var/log/*.log
    tar -C "$root" --numeric-owner -cf "$TARBALL.tmp" .
    mv "$TARBALL.tmp" "$TARBALL"
fi
$DOCKER import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    "$TARBALL" "$IMAGE" >/dev/null
echo "base image $IMAGE: imported"
