# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/diag-capture-7b12c57b", "-o", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/%A_%a.out", "-J", "lrd-array_limit", "--array=1-3%1", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/sleeper.sh", "600"]
sbatch --parsable -D /tmp/longrun-tests/alice/diag-capture-7b12c57b -o /tmp/longrun-tests/alice/diag-capture-7b12c57b/%A_%a.out -J lrd-array_limit --array=1-3%1 /tmp/longrun-tests/alice/diag-capture-7b12c57b/sleeper.sh 600
# script:
#   #!/bin/bash
#   sleep ${1:-300}
