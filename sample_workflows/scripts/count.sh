#!/bin/bash
# seeds/001's bash example: count to $1 (default 75), one iteration a second; on SIGTERM save the
# iteration and exit 75 ("checkpointed, continue": longrun then submits the next Slurm job, which
# resumes from the checkpoint). Exit 0 at the end means "finished".
TARGET=${1:-75}
OUT="${SAMPLE_OUTPUT_DIR:-${LONGRUN_WORKFLOW_DIR:-.}/output}/${LONGRUN_WORKFLOW:-bash_checkpoint}"
mkdir -p "$OUT"
CHECKPOINT_FILE="$OUT/progress.txt"

save_checkpoint() {
    echo "Saving checkpoint at iteration $ITERATION"
    echo "$ITERATION" > "$CHECKPOINT_FILE.tmp" && mv "$CHECKPOINT_FILE.tmp" "$CHECKPOINT_FILE"
}

# Trap SIGTERM and save checkpoint
trap 'save_checkpoint; exit 75' SIGTERM

# Load checkpoint if exists
if [ -f "$CHECKPOINT_FILE" ]; then
    ITERATION=$(cat "$CHECKPOINT_FILE")
    echo "Resuming from iteration $ITERATION (attempt ${LONGRUN_ATTEMPT:-?})"
else
    ITERATION=0
fi

# Main loop
while [ "$ITERATION" -lt "$TARGET" ]; do
    ITERATION=$((ITERATION + 1))
    sleep 1
done
save_checkpoint
echo "done: counted to $ITERATION"
echo "${SLURM_JOB_ID:-local}" >> "$OUT/count.jobs"
