#!/bin/sh
# C6: RISE recovers from perturbations better.
# One command: ../run_claim.sh trains and evaluates the missing runs (the runs and eval of C1 and C3), then
# prints the table, the comparisons with their intervals and, last, the verdict.
exec "$(dirname "$0")/../run_claim.sh" "$(dirname "$0")" "$@"
