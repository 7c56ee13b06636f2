# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/endings-capture-a750abd6", "-o", "/tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out", "-J", "lrx-exit126", "/tmp/longrun-tests/alice/endings-capture-a750abd6/exit126.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/endings-capture-a750abd6 -o /tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out -J lrx-exit126 /tmp/longrun-tests/alice/endings-capture-a750abd6/exit126.sh
# script:
#   #!/bin/bash
#   echo start
#   printf 'echo hi\n' > ./notexec.sh
#   chmod 644 ./notexec.sh
#   ./notexec.sh
