#!/bin/sh
# C3: RISE widens coverage over BC and IDQL. One command: trains and evaluates whatever runs are missing (resumable;
# shared with C1 and C6 in runs/claims/maze), then prints the table, the claim's comparisons
# with their intervals and, on the last line, the verdict. Extra arguments go to `rise sweep`
# (e.g. --dry-run); RISE=path/to/rise to use another build.
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
rise=${RISE:-$root/build/rise}
"$rise" sweep "$here/spec.json" --jobs "${JOBS:-2}" "$@"
"$rise" sweep report "$root/runs/claims/maze" --spec "$here/spec.json" \
    --out "$root/runs/claims/maze/report_c3_rise_coverage"
