# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/diag-capture-7b12c57b", "-o", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out", "-J", "lrd-per_cpu_oom", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/per_cpu_oom.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/diag-capture-7b12c57b -o /tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out -J lrd-per_cpu_oom /tmp/longrun-tests/alice/diag-capture-7b12c57b/per_cpu_oom.sh
# script:
#   #!/usr/bin/python3
#   #SBATCH --mem-per-cpu=100M -c 2
#   import time
#   blocks = [bytearray(64 * 1024 * 1024) for _ in range(8)]
#   time.sleep(3)
