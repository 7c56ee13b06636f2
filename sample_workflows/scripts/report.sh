#!/bin/bash
# bash_checkpoint step 2: runs only after `count` finished; reports what it found.
OUT="${SAMPLE_OUTPUT_DIR:-${LONGRUN_WORKFLOW_DIR:-.}/output}/${LONGRUN_WORKFLOW:-bash_checkpoint}"
ITERATION=$(cat "$OUT/progress.txt") || exit 1
echo "count reached $ITERATION" | tee "$OUT/report.txt"
