#!/bin/bash
# Checkpointing test job: counts to TOTAL steps of STEP_SECONDS each, resuming from STATE_FILE.
#
# usage: checkpoint_job.sh STATE_FILE TOTAL STEP_SECONDS EXIT_ON_TERM
# On SIGTERM (--signal=B:TERM@N, or the time limit) it stops after the current step and exits
# EXIT_ON_TERM (75: "checkpointed, continue"; 0: the sbatch_longrun style). It prints every step,
# so one log with --open-mode=append shows every link's work.
#
# Slurm may send the warning signal at any instant, the job's first second included (up to 60 s
# early): the trap is the first command and only takes note, and the loop looks at the note between
# steps, so a step is saved AND printed, or neither. (Bash, not Python: the interpreter's start-up,
# during which a signal kills the job, is half a millisecond, not half a second on a loaded node.)
trap 'stop=1' TERM
stop=0
state_file=$1 total=$2 step_seconds=$3 exit_on_term=$4
step=0
if [ -s "$state_file" ]; then step=$(<"$state_file"); fi
echo "link attempt=${LONGRUN_ATTEMPT:-None} job=${SLURM_JOB_ID:-None} chain=${LONGRUN_CHAIN_ID:-None}" \
    "initial=${SLURM_LONGRUN_INITIAL_JOB_ID:-None} resume=$step"
while [ "$step" -lt "$total" ] && [ "$stop" = 0 ]; do
    sleep "$step_seconds"
    step=$((step + 1))
    printf '%s\n' "$step" > "$state_file.tmp"
    mv -f "$state_file.tmp" "$state_file"  # atomic: a link killed here resumes from one or the other
    echo "step $step"
done
if [ "$step" -lt "$total" ]; then
    echo "checkpoint step=$step exit=$exit_on_term"
    exit "$exit_on_term"
fi
echo "work done"
