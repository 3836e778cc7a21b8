#!/usr/bin/env bash
# The minimal-root test: a chroot holding only dist/ovlayer, the libraries
# `ldd` names for it, a static busybox and a mounted /proc, entered with
# `env -i` (no /tmp, /etc, /dev or HOME), where init.sh imports, creates,
# mounts, writes, unmounts and checks as a boot script would. As root.
#
#   tests/minroot/run.sh [BINARY]     (default dist/ovlayer)
#
# Ends with "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../dist/ovlayer}
busybox=$(command -v busybox || true)
if [ ! -x "$bin" ] || [ -z "$busybox" ] || ! file -L "$busybox" | grep -q 'statically linked'; then
  echo "minroot: needs $bin and a static busybox (busybox-static)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
root=$(mktemp -d /tmp/ovlayer-minroot.XXXXXX)
cleanup() {
  awk -v t="$root" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$root"
}
trap cleanup EXIT

mkdir -p "$root/bin" "$root/proc"
cp "$bin" "$root/ovlayer"
cp "$busybox" "$root/bin/busybox"
for app in sh cat mkdir tar echo ls; do ln -s busybox "$root/bin/$app"; done
# Every library the dynamic loader will open, at the path ldd prints.
ldd "$bin" | grep -oE '(/[^ ]+)' | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp "$here/init.sh" "$root/init.sh"
mount -t proc proc "$root/proc"
echo "minimal root: $(cd "$root" && find . -path ./proc -prune -o -type f -print | sort | tr '\n' ' ')"

log=$(env -i /usr/sbin/chroot "$root" /bin/sh /init.sh 2>&1)
rc=$?
echo "$log"
pass=$(printf '%s\n' "$log" | grep -c '^ok - ' || true)
fail=$(printf '%s\n' "$log" | grep -c '^not ok - ' || true)
[ "$rc" -eq 0 ] || fail=$((fail + 1))
[ "$pass" -ge 17 ] || { echo "expected at least 17 checks, saw $pass"; fail=$((fail + 1)); }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
