#!/bin/bash
# Test job: catches TERM and USR1 (prints "caught SIG attempt=.. job=..", exits $2, default 75, the
# "checkpointed, continue" status); otherwise sleeps $1 s and prints "finished". With $3, the first
# link instead exits 75 after $3 s on its own (so that the chain moves on to a second job).
echo "link attempt=$LONGRUN_ATTEMPT job=$SLURM_JOB_ID chain=$LONGRUN_CHAIN_ID"
code=${2:-75}
trap 'echo "caught TERM attempt=$LONGRUN_ATTEMPT job=$SLURM_JOB_ID"; exit $code' TERM
trap 'echo "caught USR1 attempt=$LONGRUN_ATTEMPT job=$SLURM_JOB_ID"; exit $code' USR1
if [ -n "$3" ] && [ "$LONGRUN_ATTEMPT" = "1" ]; then
  sleep "$3"
  exit 75
fi
sleep "$1" &
wait
echo "finished"
