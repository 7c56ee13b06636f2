# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/endings-capture-a750abd6", "-o", "/tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out", "-J", "lrx-exit3", "/tmp/longrun-tests/alice/endings-capture-a750abd6/exit3.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/endings-capture-a750abd6 -o /tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out -J lrx-exit3 /tmp/longrun-tests/alice/endings-capture-a750abd6/exit3.sh
# script:
#   #!/bin/bash
#   echo 'reading input.csv'
#   echo 'error: input.csv has no header' >&2
#   exit 3
