# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/diag-capture-7b12c57b", "-o", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out", "-J", "lrd-sleeper", "--time=10", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/sleeper.sh", "600"]
sbatch --parsable -D /tmp/longrun-tests/alice/diag-capture-7b12c57b -o /tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out -J lrd-sleeper --time=10 /tmp/longrun-tests/alice/diag-capture-7b12c57b/sleeper.sh 600
# script:
#   #!/bin/bash
#   sleep ${1:-300}
