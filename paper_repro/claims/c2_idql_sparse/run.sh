#!/bin/sh
# C2: plain IDQL (0/1 labels, no support expansion) stitches less when play is sparse.
# One command: ../run_claim.sh trains and evaluates the missing runs (IDQL shared with C1, C3, C6), then
# prints the table, the comparisons with their intervals and, last, the verdict.
exec "$(dirname "$0")/../run_claim.sh" "$(dirname "$0")" "$@"
