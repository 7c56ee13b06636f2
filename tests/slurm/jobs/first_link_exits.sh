#!/bin/bash
# Test job: the first link sleeps $1 s and exits 75 ("checkpointed, continue"); later links exit 0.
echo "link attempt=$LONGRUN_ATTEMPT job=$SLURM_JOB_ID chain=$LONGRUN_CHAIN_ID initial=$SLURM_LONGRUN_INITIAL_JOB_ID"
sleep "$1"
if [ "$LONGRUN_ATTEMPT" = "1" ]; then echo "first link exits 75"; exit 75; fi
echo "finished"
