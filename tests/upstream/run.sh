#!/usr/bin/env bash
# Runs containers-storage's own conformance suite (the bats files in DIR,
# upstream's storage/tests) against ovlayer, and holds the outcome to
# tests/upstream/expected-failures: a listed test must fail, every other test
# must pass or be skipped by the suite itself.
#
#   tests/upstream/run.sh DIR [FILE.bats ...]
#
# Prints each file's pass/fail/skip counts, the tests whose outcome was not
# the expected one (with bats' output for failures), then one line
# "N passed, N failed, N skipped" where "failed" counts unexpected outcomes
# only and "skipped" counts the suite's own skips plus the expected failures.
# Exit status: 0 when every outcome was the expected one.
#
# Needs root, bats, jq and GNU tar. The binary is $OVLAYER_BINARY, or this
# checkout's dist/ovlayer (`npm run build`). Each file runs under its own
# temporary directory; whatever a test leaves mounted there is unmounted and
# the directory removed afterwards, even when the test failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
suite=${1:-}
if [ -z "$suite" ]; then
  echo "usage: $0 DIR [FILE.bats ...]" >&2
  exit 2
fi
shift
if [ ! -d "$suite" ]; then
  echo "upstream suite: no directory $suite" >&2
  if [ "${CI:-}" = "true" ]; then echo "0 passed, 1 failed, 0 skipped"; exit 1; fi
  echo "0 passed, 0 failed, 0 skipped"
  exit 0
fi
suite=$(cd "$suite" && pwd)
binary=${OVLAYER_BINARY:-$repo/dist/ovlayer}
for tool in bats jq "$binary"; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "$tool" ] || { echo "upstream suite: $tool is missing" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
  echo "upstream suite: needs root (it mounts overlays)" >&2
  if [ "${CI:-}" = "true" ]; then echo "0 passed, 1 failed, 0 skipped"; exit 1; fi
  echo "0 passed, 0 failed, 0 skipped"
  exit 0
fi

# expected-failures: "FILE.bats | test name | why", '#' comments, blank lines.
declare -A expected=()
while IFS= read -r line; do
  line=${line%%$'\r'}
  case "$line" in ''|'#'*) continue ;; esac
  file=$(printf '%s' "$line" | awk -F' [|] ' '{print $1}')
  name=$(printf '%s' "$line" | awk -F' [|] ' '{print $2}')
  why=$(printf '%s' "$line" | awk -F' [|] ' '{print $3}')
  if [ -z "$file" ] || [ -z "$name" ] || [ -z "$why" ]; then
    echo "expected-failures: malformed line (want 'FILE.bats | test name | why'): $line" >&2
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
  expected["$file|$name"]=$why
done < "$here/expected-failures"

if [ "$#" -gt 0 ]; then files=("$@"); else
  mapfile -t files < <(cd "$suite" && ls -1 *.bats | LC_ALL=C sort)
fi

# Unmounts everything below $1 (deepest first), then removes it.
scrub() {
  local top=$1
  awk -v t="$top/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  rm -rf "$top"
}

logdir=$(mktemp -d /tmp/ovlayer-upstream.XXXXXX)
passed=0 failed=0 skipped=0 xfail=0
declare -A seen=()
report=""
printf '%-26s %5s %5s %5s\n' "file" "pass" "fail" "skip"
for f in "${files[@]}"; do
  tmp=$(mktemp -d /tmp/ovlayer-bats.XXXXXX)
  tap="$logdir/${f%.bats}.tap"
  (cd "$suite" && TMPDIR="$tmp" STORAGE_BINARY="$binary" STORAGE_DRIVER=overlay \
    timeout 1200 bats --tap "$f") > "$tap" 2>&1
  scrub "$tmp"
  fp=0 ff=0 fs=0
  # TAP: "ok N name", "ok N name # skip (why)", "not ok N name", then "# ..." detail lines.
  current=""
  while IFS= read -r l; do
    if [[ $l =~ ^(not\ )?ok\ [0-9]+\ (.*)$ ]]; then
      status=ok; [ -n "${BASH_REMATCH[1]}" ] && status=fail
      name=${BASH_REMATCH[2]}
      if [[ $name =~ ^(.*)\ \#\ skip ]]; then status=skip; name=${BASH_REMATCH[1]}; fi
      key="$f|$name"
      seen["$key"]=1
      current=""
      if [ -n "${expected[$key]+x}" ]; then
        case $status in
          fail) xfail=$((xfail + 1)); ff=$((ff + 1)) ;;
          ok) failed=$((failed + 1)); fp=$((fp + 1)); report+="UNEXPECTED PASS $f: $name (listed in expected-failures: remove it)"$'\n' ;;
          skip) skipped=$((skipped + 1)); fs=$((fs + 1)) ;;
        esac
      else
        case $status in
          ok) passed=$((passed + 1)); fp=$((fp + 1)) ;;
          skip) skipped=$((skipped + 1)); fs=$((fs + 1)) ;;
          fail) failed=$((failed + 1)); ff=$((ff + 1)); report+="FAIL $f: $name"$'\n'; current=1 ;;
        esac
      fi
    elif [ -n "$current" ] && [[ $l == "#"* ]]; then
      report+="    $l"$'\n'
    fi
  done < "$tap"
  # A file that ran no test at all (bats crashed, timed out) is a failure.
  if ! grep -qE '^(not )?ok [0-9]+' "$tap"; then
    failed=$((failed + 1)); report+="FAIL $f: no test ran"$'\n'"$(sed 's/^/    /' "$tap" | tail -20)"$'\n'
  fi
  printf '%-26s %5d %5d %5d\n' "$f" "$fp" "$ff" "$fs"
done

# A listed test that does not exist in the files that ran is a stale entry.
for key in "${!expected[@]}"; do
  file=${key%%|*}
  ran=0; for f in "${files[@]}"; do [ "$f" = "$file" ] && ran=1; done
  if [ "$ran" -eq 1 ] && [ -z "${seen[$key]+x}" ]; then
    failed=$((failed + 1)); report+="STALE expected-failures entry (no such test): ${key/|/: }"$'\n'
  fi
done

if [ -n "$report" ]; then printf '\n%s' "$report" | head -c 20000; fi
echo
echo "expected failures: $xfail (tests/upstream/expected-failures), counted as skipped; TAP logs in $logdir"
echo "$passed passed, $failed failed, $((skipped + xfail)) skipped"
[ "$failed" -eq 0 ]
