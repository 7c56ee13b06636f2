# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/endings-capture-a750abd6", "-o", "/tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out", "-J", "lrx-preemptor", "-p", "urgent", "-c", "8", "/tmp/longrun-tests/alice/endings-capture-a750abd6/ok.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/endings-capture-a750abd6 -o /tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out -J lrx-preemptor -p urgent -c 8 /tmp/longrun-tests/alice/endings-capture-a750abd6/ok.sh
# script:
#   #!/bin/bash
#   echo ok
