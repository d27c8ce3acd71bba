#!/bin/sh
# C3: RISE widens coverage over BC and IDQL.
# One command: ../run_claim.sh trains and evaluates the missing runs (shared with C1 and C6), then
# prints the table, the comparisons with their intervals and, last, the verdict.
exec "$(dirname "$0")/../run_claim.sh" "$(dirname "$0")" "$@"
