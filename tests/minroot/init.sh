#!/bin/sh
# The init-style script run inside the minimal root by tests/minroot/run.sh:
# busybox sh, `env -i`, no /tmp, /etc, /dev or HOME; only /ovlayer, its
# libraries, /bin/busybox and /proc (so no /dev/null either: no
# redirection to it below). Prints "ok - ..." / "not ok - ..." lines.
set -u
PATH=/bin
OV=/ovlayer
pass() { echo "ok - $*"; }
fail() { echo "not ok - $*"; }

# A base tarball, made with busybox's tar.
mkdir -p /src/etc /src/bin
echo "minimal root" > /src/etc/motd
tar -cf /base.tar -C /src . && pass "busybox made a tarball" || fail "tar"

base=$($OV import-layer --file /base.tar) && pass "import-layer (default store, no storage.conf)" || fail "import-layer"
top=$($OV create-layer "$base") && pass "create-layer on it" || fail "create-layer"
m=$($OV mount "$top") && pass "mount at $m" || fail "mount"
[ "$(cat "$m/etc/motd")" = "minimal root" ] && pass "the base file is visible" || fail "base file not visible"
echo booted > "$m/etc/state" && pass "wrote through the mount" || fail "write"
u=$($OV unmount "$top") && pass "unmount" || fail "unmount"
[ "$(cat /var/lib/containers/storage/overlay/$top/diff/etc/state)" = booted ] && pass "the write is in the top layer" || fail "write not in the top layer"
out=$($OV check 2>&1) && pass "check is clean" || fail "check: $out"

# The boot sequence of the README's guide: an image by name, a container on
# it, both mounted by one batch read from a here-document.
$OV create-image --name localhost/app:1 "$top" && pass "create-image localhost/app:1" || fail "create-image"
$OV exists -c app-ctr || $OV create-container --name app-ctr localhost/app:1 && pass "create-container app-ctr" || fail "create-container"
out=$($OV batch <<'BATCH'
# read-only view of the image, then the container's writable layer on it
mount --ro localhost/app:1
mount app-ctr
BATCH
) && pass "batch: image and container mounted" || fail "batch: $out"
ro=$(echo "$out" | sed -n 1p)
rw=$(echo "$out" | sed -n 2p)
[ "$(cat "$ro/etc/state")" = booted ] && pass "the image's files through the read-only mount" || fail "image mount: $ro"
echo hi > "$rw/etc/ctr" && [ "$(cat "$rw/etc/motd")" = "minimal root" ] && pass "the container's mount is writable over the image" || fail "container mount: $rw"
(echo boom > "$ro/x") 2>&1 && fail "the image mount is writable" || pass "the image mount is read-only"
$OV batch <<'BATCH' && pass "batch: unmounted both" || fail "batch unmount"
unmount app-ctr
unmount localhost/app:1
BATCH
out=$($OV check 2>&1) && pass "check is clean at the end" || fail "check: $out"
