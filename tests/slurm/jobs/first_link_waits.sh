#!/bin/bash
# Test job: the first link waits until Slurm ends it (preemption, a node failure; at worst its time
# limit); later links finish at once. A test that ends the first link on purpose never races it.
echo "link attempt=$LONGRUN_ATTEMPT job=$SLURM_JOB_ID chain=$LONGRUN_CHAIN_ID"
if [ "$LONGRUN_ATTEMPT" = "1" ]; then
    while :; do sleep 1; done
fi
echo "finished"
