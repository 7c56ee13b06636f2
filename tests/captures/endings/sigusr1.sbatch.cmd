# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/endings-capture-a750abd6", "-o", "/tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out", "-J", "lrx-sigusr1", "/tmp/longrun-tests/alice/endings-capture-a750abd6/sigusr1.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/endings-capture-a750abd6 -o /tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out -J lrx-sigusr1 /tmp/longrun-tests/alice/endings-capture-a750abd6/sigusr1.sh
# script:
#   #!/bin/bash
#   echo start
#   kill -USR1 $$
#   echo never
