# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/diag-capture-7b12c57b", "-o", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out", "-J", "lrd-srun_false", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/srun_false.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/diag-capture-7b12c57b -o /tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out -J lrd-srun_false /tmp/longrun-tests/alice/diag-capture-7b12c57b/srun_false.sh
# script:
#   #!/bin/bash
#   srun false
#   srun bash -c 'kill -SEGV $$'
#   echo done
