# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/diag-capture-7b12c57b", "-o", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out", "-J", "lrd-begin", "--begin=now+2hours", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/sleeper.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/diag-capture-7b12c57b -o /tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out -J lrd-begin --begin=now+2hours /tmp/longrun-tests/alice/diag-capture-7b12c57b/sleeper.sh
# script:
#   #!/bin/bash
#   sleep ${1:-300}
