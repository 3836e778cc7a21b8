#!/usr/bin/env bash
# Runs the arm64 release binary under qemu-aarch64-static (Debian's
# qemu-user-static, with libc6-arm64-cross for its loader and libc) on a temp
# store, as root: a 140-layer chain, mounted (qemu-user has no new mount API,
# so the direct and fd fallbacks run: 140 lowers do not fit in a page),
# written through and unmounted; a tarball imported and mounted; check clean.
#
#   tests/arm64/run.sh [BINARY]     (default dist/ovlayer-linux-arm64; `npm run release`)
#
# Ends with "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../dist/ovlayer-linux-arm64}
qemu=$(command -v qemu-aarch64-static || true)
sysroot=/usr/aarch64-linux-gnu
if [ -z "$qemu" ] || [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || [ ! -x "$bin" ]; then
  echo "arm64: needs qemu-aarch64-static, $sysroot (libc6-arm64-cross) and $bin" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
store=$(mktemp -d /tmp/ovlayer-arm64.XXXXXX)
cleanup() {
  awk -v t="$store/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$store"
}
trap cleanup EXIT
ov() { "$qemu" -L "$sysroot" "$bin" --graph "$store/root" --run "$store/run" "$@"; }
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "not ok - $*"; fail=$((fail + 1)); }

v=$(ov --version) && [[ $v == "ovlayer version "* ]] && ok "starts under qemu: $v" || bad "--version"
arch=$(file -b "$bin" | grep -o 'ARM aarch64' || true)
[ -n "$arch" ] && ok "the binary is aarch64" || bad "the binary is not aarch64: $(file -b "$bin")"

# A 140-layer chain, created by one `batch` (one qemu start instead of 140);
# every 20th layer gets a file through a mount.
script=$store/chain.batch
parent=""
: > "$script"
for i in $(seq 1 140); do
  id=$(printf '%064x' "$i")
  echo "create-layer --id $id $parent" >> "$script"
  parent=$id
done
ov batch "$script" > "$store/chain.out" && [ "$(wc -l < "$store/chain.out")" -eq 140 ] && ok "created a 140-layer chain with batch" || bad "batch chain: $(tail -3 "$store/chain.out")"
every20=$(for i in $(seq 20 20 140); do printf '%064x ' "$i"; done)
paths=$(ov mount $every20) || bad "mount of every 20th layer"
i=20; for m in $paths; do echo "$i" > "$m/file-$i"; i=$((i + 20)); done
ov unmount $every20 > /dev/null || bad "unmount of every 20th layer"

strategy=$(ov --debug mount "$parent" 2>&1 >"$store/mnt-path" | grep -o 'with the [a-z]* strategy' | head -1)
m=$(cat "$store/mnt-path")
if [ -n "$m" ] && grep -q " $m " /proc/self/mountinfo; then ok "mounted at depth 139 ($strategy)"; else bad "mount at depth 139"; fi
files=$(ls "$m" 2>/dev/null | grep -c '^file-' || true)
[ "$files" -eq 7 ] && ok "all 7 files of the chain visible through the mount" || bad "saw $files of 7 files"
echo top > "$m/top" && ok "wrote through the mount" || bad "write through the mount"
ov unmount "$parent" >/dev/null && ! grep -q " $m " /proc/self/mountinfo && ok "unmounted" || bad "unmount"
[ "$(cat "$store/root/overlay/$parent/diff/top" 2>/dev/null)" = top ] && ok "the write landed in the top layer's diff" || bad "write not in diff"

# Import a tarball (gzip) and mount it.
mkdir -p "$store/src/etc" && echo hello > "$store/src/etc/motd" && ln -s motd "$store/src/etc/link"
tar -C "$store/src" -czf "$store/layer.tgz" .
imp=$(ov import-layer --file "$store/layer.tgz" "$parent") && ok "imported a gzip tarball" || bad "import-layer"
m=$(ov mount "$imp") && [ "$(cat "$m/etc/motd")" = hello ] && [ "$(readlink "$m/etc/link")" = motd ] && ok "imported files visible" || bad "imported files"
ov unmount "$imp" >/dev/null || bad "unmount of the imported layer"

out=$(ov check 2>&1) && ok "check is clean" || bad "check: $out"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
