#!/bin/sh
# run_mpi.sh NP PROGRAM [ARGS...] - runs PROGRAM as NP MPI ranks on this machine (ctest label
# mpi). Exit 77 (skipped) where mpirun is missing; the programs themselves exit 77 when rise
# was built without MPI. Root (CI containers) and more ranks than cores are allowed, and the
# whole job has 600 s before it counts as hung.
np=$1
shift
if ! command -v mpirun >/dev/null 2>&1; then
    echo "mpirun not found (apt-get install openmpi-bin): skipped"
    exit 77
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# containers often forbid cross-memory attach between processes: plain shared-memory copies
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
exec timeout 600 mpirun -np "$np" --oversubscribe --bind-to none "$@"
