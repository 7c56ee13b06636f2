# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/diag-capture-7b12c57b", "-o", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out", "-J", "lrd-fails", "--time=5", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/fail_later.sh", "8"]
sbatch --parsable -D /tmp/longrun-tests/alice/diag-capture-7b12c57b -o /tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out -J lrd-fails --time=5 /tmp/longrun-tests/alice/diag-capture-7b12c57b/fail_later.sh 8
# script:
#   #!/bin/bash
#   sleep ${1:-8}
#   exit 1
