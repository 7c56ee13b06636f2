# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/endings-capture-a750abd6", "-o", "/tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out", "-J", "lrx-exit152", "/tmp/longrun-tests/alice/endings-capture-a750abd6/exit152.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/endings-capture-a750abd6 -o /tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out -J lrx-exit152 /tmp/longrun-tests/alice/endings-capture-a750abd6/exit152.sh
# script:
#   #!/bin/bash
#   echo 'exiting 152'
#   exit 152
