# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/diag-capture-7b12c57b", "-o", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out", "-J", "lrd-mt_oom_last", "-n", "4", "--mem=300M", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/mt_oom_last.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/diag-capture-7b12c57b -o /tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out -J lrd-mt_oom_last -n 4 --mem=300M /tmp/longrun-tests/alice/diag-capture-7b12c57b/mt_oom_last.sh
# script:
#   #!/bin/bash
#   srun -n 4 /usr/bin/python3 -c "import time; b = [bytearray(40 * 1024 * 1024) for _ in range(3)]; time.sleep(4)"
