# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/endings-capture-a750abd6", "-o", "/tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out", "-J", "lrx-exit127", "/tmp/longrun-tests/alice/endings-capture-a750abd6/exit127.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/endings-capture-a750abd6 -o /tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out -J lrx-exit127 /tmp/longrun-tests/alice/endings-capture-a750abd6/exit127.sh
# script:
#   #!/bin/bash
#   echo start
#   no_such_command_xyz --flag
