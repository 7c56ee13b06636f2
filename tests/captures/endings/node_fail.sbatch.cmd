# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/endings-capture-a750abd6", "-o", "/tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out", "-J", "lrx-node_fail", "-p", "preemptible", "--no-requeue", "/tmp/longrun-tests/alice/endings-capture-a750abd6/sleeper.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/endings-capture-a750abd6 -o /tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out -J lrx-node_fail -p preemptible --no-requeue /tmp/longrun-tests/alice/endings-capture-a750abd6/sleeper.sh
# script:
#   #!/bin/bash
#   echo sleeping
#   sleep 300
