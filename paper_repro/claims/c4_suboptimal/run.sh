#!/bin/sh
# C4: suboptimal demonstrations hurt BC but not RISE (spectral lambda 0.001).
# One command: ../run_claim.sh trains and evaluates the missing runs (BC shared with C1, C3, C6), then
# prints the table, the comparisons with their intervals and, last, the verdict.
exec "$(dirname "$0")/../run_claim.sh" "$(dirname "$0")" "$@"
