#!/bin/sh
# C1: BC on expert data covers only the expert region.
# One command: ../run_claim.sh trains and evaluates the missing runs (shared with C3 and C6), then
# prints the table, the comparisons with their intervals and, last, the verdict.
exec "$(dirname "$0")/../run_claim.sh" "$(dirname "$0")" "$@"
