# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/endings-capture-a750abd6", "-o", "/tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out", "-J", "lrx-trap", "--time=1", "/tmp/longrun-tests/alice/endings-capture-a750abd6/trap.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/endings-capture-a750abd6 -o /tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out -J lrx-trap --time=1 /tmp/longrun-tests/alice/endings-capture-a750abd6/trap.sh
# script:
#   #!/bin/bash
#   #SBATCH --signal=B:TERM@30
#   trap 'echo "Received SIGTERM, saving checkpoint"; exit 0' TERM
#   echo working
#   for i in $(seq 1 300); do sleep 1; done
