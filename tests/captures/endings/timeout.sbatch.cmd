# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/endings-capture-a750abd6", "-o", "/tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out", "-J", "lrx-timeout", "--time=1", "/tmp/longrun-tests/alice/endings-capture-a750abd6/timeout.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/endings-capture-a750abd6 -o /tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out -J lrx-timeout --time=1 /tmp/longrun-tests/alice/endings-capture-a750abd6/timeout.sh
# script:
#   #!/bin/bash
#   echo 'working without a handler'
#   sleep 300
