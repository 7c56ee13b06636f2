#!/bin/bash
# Test job: prints its chain variables, sleeps $2 seconds, exits with $1.
echo "link attempt=$LONGRUN_ATTEMPT job=$SLURM_JOB_ID chain=$LONGRUN_CHAIN_ID"
sleep "${2:-1}"
exit "$1"
