#!/usr/bin/env bash
# run_fuzz.sh - runs one libFuzzer target for a bounded time (ctest -L slow).
#   run_fuzz.sh FUZZER SEEDS_BIN WORKDIR SECONDS REGRESSIONS_DIR [libFuzzer options...]
# Writes seeds, then fuzzes with them, the inputs of bugs found earlier
# (REGRESSIONS_DIR) and a persistent corpus in WORKDIR until SECONDS have
# passed. Each crash (sanitizer report, deadly signal, timeout) is classified
# by the innermost stack frame that is not a sanitizer interceptor:
#   - in libhdf5: a bug of HDF5 1.10's parser on a corrupt image (rise cannot
#     prevent it); counted, its input kept in WORKDIR/hdf5/, fuzzing restarts;
#   - anywhere else (rise's code): the run stops and the script fails, the
#     input kept in WORKDIR/artifacts/ (reproduce: FUZZER WORKDIR/artifacts/crash-...).
# Prints executions and crash counts.
set -u
fuzzer=$1 seeds=$2 work=$3 secs=$4 regressions=$5
shift 5
mkdir -p "$work/corpus" "$work/seeds" "$work/artifacts" "$work/hdf5"
"$seeds" "$work/seeds" || { echo "run_fuzz.sh: writing seeds failed" >&2; exit 1; }
name=$(basename "$fuzzer")
deadline=$((SECONDS + secs))
execs=0 runs=0 hdf5=0 short=0
while :; do
  left=$((deadline - SECONDS))
  [ "$left" -le 0 ] && break
  log="$work/log.$runs"
  rm -f "$work"/artifacts/*
  "$fuzzer" "$work/corpus" "$work/seeds" "$regressions" -max_total_time="$left" \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" -timeout=20 -rss_limit_mb=4096 \
    -error_exitcode=1 -timeout_exitcode=1 "$@" >"$log" 2>&1
  rc=$?
  runs=$((runs + 1))
  n=$(grep -m1 -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$")
  execs=$((execs + ${n:-0}))
  [ $rc -eq 0 ] && break
  # Innermost frame that is not the sanitizer runtime or libc (libc functions the
  # sanitizer intercepts, e.g. strdup, appear in the fuzzer binary without a source line).
  frame=$(grep -E "^ +#[0-9]+ 0x" "$log" |
    grep -vE "__interceptor_|__asan|__sanitizer|__ubsan|libclang_rt|libc\.so|libc-start|sysdeps/| in __(mem|str|wmem)|in (malloc|calloc|realloc|free|memcpy|memmove|memset|strlen)( |$)| in (str|mem|wcs)[a-z]* \([^)]*\+0x|fuzzer::" |
    head -1)
  if echo "$frame" | grep -q "libhdf5"; then
    hdf5=$((hdf5 + 1))
    kind=$(grep -m1 -oE "ERROR: (AddressSanitizer|libFuzzer|UndefinedBehaviorSanitizer): [a-z-]+" "$log")
    echo "libhdf5 crash $hdf5 ($kind):$(echo "$frame" | sed -E 's/.* in / in /')"
    for a in "$work"/artifacts/*; do [ -e "$a" ] && mv "$a" "$work/hdf5/"; done
    if [ "${n:-0}" -lt 10 ]; then
      short=$((short + 1))
      [ $short -ge 3 ] && { echo "run_fuzz.sh: crashes right at start-up; giving up"; break; }
    fi
    continue
  fi
  grep -E -A40 "==ERROR|runtime error|deadly signal|timeout after" "$log" | head -60
  echo "run_fuzz.sh: $name crashed in rise's code after $execs executions; log: $log"
  ls "$work"/artifacts/
  exit 1
done
echo "$name: $execs executions in $secs s ($runs runs), crashes in rise's code: 0," \
  "crashes inside libhdf5 on corrupt images: $hdf5 (inputs in $work/hdf5/)"
exit 0
