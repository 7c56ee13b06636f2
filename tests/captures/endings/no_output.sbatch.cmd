# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/endings-capture-a750abd6", "-o", "/nonexistent/longrun-dir/x.out", "-J", "lrx-no_output", "/tmp/longrun-tests/alice/endings-capture-a750abd6/ok.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/endings-capture-a750abd6 -o /nonexistent/longrun-dir/x.out -J lrx-no_output /tmp/longrun-tests/alice/endings-capture-a750abd6/ok.sh
# script:
#   #!/bin/bash
#   echo ok
