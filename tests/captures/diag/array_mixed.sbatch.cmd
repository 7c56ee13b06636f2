# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/diag-capture-7b12c57b", "-o", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/%A_%a.out", "-J", "lrd-array_mixed", "--mem=200M", "--array=1-4", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/array_mixed.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/diag-capture-7b12c57b -o /tmp/longrun-tests/alice/diag-capture-7b12c57b/%A_%a.out -J lrd-array_mixed --mem=200M --array=1-4 /tmp/longrun-tests/alice/diag-capture-7b12c57b/array_mixed.sh
# script:
#   #!/bin/bash
#   case $SLURM_ARRAY_TASK_ID in
#    1) echo ok;;
#    2) exit 3;;
#    3) /usr/bin/python3 -c 'b = [bytearray(64 * 1024 * 1024) for _ in range(6)]';;
#    *) echo ok;;
#   esac
