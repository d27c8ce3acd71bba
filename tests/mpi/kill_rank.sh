#!/bin/sh
# kill_rank.sh MPI_TRAIN_PROGRAM - a rank killed with SIGKILL (as kill -9 would) in the middle
# of a 2-rank training run ends the whole job within 30 s, mpirun's report names the rank and
# the signal, and the run's last checkpoint (step 10) still loads. Exit 77 without mpirun or
# MPI support.
prog=$1
if ! command -v mpirun >/dev/null 2>&1; then
    echo "mpirun not found (apt-get install openmpi-bin): skipped"
    exit 77
fi
dir=$(mktemp -d /tmp/rise_kill_rank_XXXXXX) || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# containers often forbid cross-memory attach between processes: plain shared-memory copies
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
start=$(date +%s)
timeout -k 5 30 mpirun -np 2 --oversubscribe --bind-to none "$prog" --kill "$dir" >"$dir/out.txt" 2>&1
rc=$?
took=$(($(date +%s) - start))
cat "$dir/out.txt"
if grep -q "built without MPI: skipped" "$dir/out.txt"; then
    rm -rf "$dir"
    exit 77
fi
fail=0
# timeout says 124 when it had to stop the job; mpirun itself says 137 (128 + 9) for the
# killed rank, so a late end is judged by the clock
if [ "$rc" -eq 124 ] || [ "$took" -ge 30 ]; then
    echo "FAIL: the job was still running after 30 s (a hang)"
    fail=1
elif [ "$rc" -eq 0 ]; then
    echo "FAIL: mpirun exited 0 although a rank was killed"
    fail=1
fi
if ! grep -q "rank 1 .*signal 9" "$dir/out.txt"; then
    echo "FAIL: the report does not name rank 1 and signal 9"
    fail=1
fi
if ! "$prog" --check "$dir"; then
    echo "FAIL: the last checkpoint (step 10) does not load"
    fail=1
fi
echo "the job ended in ${took} s (mpirun exit code $rc)"
[ "$fail" -eq 0 ] && rm -rf "$dir"
exit "$fail"
