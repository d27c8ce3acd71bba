#!/usr/bin/env bash
# gpu_session_machinery.sh - checks scripts/gpu_session.sh's machinery with stand-in stages
# (GS_TEST_STAGES): a stage over its box is stopped at the box and reported TIMED OUT, a
# stage whose prerequisite failed is skipped, a soft prerequisite (NAME?) only orders, a
# stage that cannot start in the time left is skipped, the output folder holds at most 8
# plainly named files (summary.txt, session.tar.gz with every stage's log), the exit status
# says a stage failed, and `--only failed` reruns exactly what did not end ok; a stage with
# nothing to do (exit 3: skipped) is neither a failure nor rerun.
# Run: ctest -R gpu_session_machinery (label cpu; about 10 s).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # description, then a command that must succeed
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
export GS_TEST_STAGES='
ok1      10   1  -      ends ok
skip1    10   1  -      has nothing to do here
sleep30   3   1  ok1    sleeps past its 3 s box
fail1    10   1  -      fails
after    10   1  fail1  needs the failed stage
ok2      10   1  fail1? orders after the failed stage only
late     10  60  -      needs more time than the budget leaves
'
t0=$(date +%s)
"$root/scripts/gpu_session.sh" --out "$tmp/out" --build "$tmp/build" --budget 40 >"$tmp/first.txt" 2>&1
rc=$?
took=$(($(date +%s) - t0))
s=$tmp/out/summary.txt
cat "$tmp/first.txt"
check "exit status 1 when a stage failed" [ "$rc" -eq 1 ]
check "ok1 ended ok" grep -Eq '^ok1 +ok ' "$s"
check "skip1 skipped, with its reason" grep -Eq '^skip1 +skipped +[0-9]+s +10s +nothing to do' "$s"
check "sleep30 stopped at its box" grep -Eq '^sleep30 +TIMED OUT +[3-9]s +3s' "$s"
check "the whole run took far less than the 30 s sleep ($took s)" [ "$took" -lt 25 ]
check "fail1 failed" grep -Eq '^fail1 +FAILED \(1\)' "$s"
check "after skipped: its prerequisite failed" grep -Eq '^after +skipped \(needs fail1\)' "$s"
check "ok2 ran after the failed soft prerequisite" grep -Eq '^ok2 +ok ' "$s"
check "late skipped for lack of time" grep -Eq '^late +skipped \(no time\)' "$s"
check "the rerun hint names what did not end ok" grep -q -- '--only sleep30,fail1,after,late' "$s"
n=$(find "$tmp/out" -mindepth 1 | wc -l)
check "at most 8 files come back ($n)" [ "$n" -le 8 ]
check "only plain files, plainly named" [ -z "$(find "$tmp/out" -mindepth 1 \( ! -type f -o -regex '.*/[^/]*[^-A-Za-z0-9._/][^/]*' \))" ]
check "the archive holds each stage's log and result" \
    sh -c "tar -tzf '$tmp/out/session.tar.gz' | grep -q '^./ok1/log.txt$' && tar -tzf '$tmp/out/session.tar.gz' | grep -q '^./ok2/result.txt$'"
# the second call: only what did not end ok (ok1 and ok2 are not run again)
"$root/scripts/gpu_session.sh" --out "$tmp/out2" --build "$tmp/build" --budget 40 --only failed >"$tmp/second.txt" 2>&1
cat "$tmp/second.txt"
s2=$tmp/out2/summary.txt
check "--only failed runs sleep30 and fail1 again" grep -Eq '^sleep30 +TIMED OUT' "$s2"
check "--only failed leaves ok1, skip1 and ok2 alone" sh -c "! grep -Eq '^(ok1|skip1|ok2) ' '$s2'"
"$root/scripts/gpu_session.sh" --out "$tmp/out3" --build "$tmp/build" --only nosuchstage >/dev/null 2>&1
check "an unknown stage is refused (exit 2)" [ $? -eq 2 ]
echo "$((15 - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
