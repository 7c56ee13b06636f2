# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/endings-capture-a750abd6", "-o", "/tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out", "-J", "lrx-oom", "--mem=256M", "/tmp/longrun-tests/alice/endings-capture-a750abd6/oom.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/endings-capture-a750abd6 -o /tmp/longrun-tests/alice/endings-capture-a750abd6/%j.out -J lrx-oom --mem=256M /tmp/longrun-tests/alice/endings-capture-a750abd6/oom.sh
# script:
#   #!/usr/bin/python3
#   import time
#   blocks = [bytearray(64 * 1024 * 1024) for _ in range(10)]
#   time.sleep(5)
