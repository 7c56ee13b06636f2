# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/endings-capture-a750abd6", "-o", "/tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out", "-J", "lrx-sigsegv", "/tmp/longrun-tests/alice/endings-capture-a750abd6/sigsegv.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/endings-capture-a750abd6 -o /tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out -J lrx-sigsegv /tmp/longrun-tests/alice/endings-capture-a750abd6/sigsegv.sh
# script:
#   #!/usr/bin/python3
#   import os, signal
#   print('start', flush=True)
#   os.kill(os.getpid(), signal.SIGSEGV)
