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
