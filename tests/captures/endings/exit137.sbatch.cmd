# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/endings-capture-a750abd6", "-o", "/tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out", "-J", "lrx-exit137", "/tmp/longrun-tests/alice/endings-capture-a750abd6/exit137.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/endings-capture-a750abd6 -o /tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out -J lrx-exit137 /tmp/longrun-tests/alice/endings-capture-a750abd6/exit137.sh
# script:
#   #!/bin/bash
#   echo 'exiting 137'
#   exit 137
