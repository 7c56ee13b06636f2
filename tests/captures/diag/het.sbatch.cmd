# user: alice
# how the job was made
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/diag-capture-7b12c57b", "-o", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out", "-J", "lrd-het", "/tmp/longrun-tests/alice/diag-capture-7b12c57b/het.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/diag-capture-7b12c57b -o /tmp/longrun-tests/alice/diag-capture-7b12c57b/%j.out -J lrd-het /tmp/longrun-tests/alice/diag-capture-7b12c57b/het.sh
# script:
#   #!/bin/bash
#   #SBATCH --mem=100M
#   #SBATCH hetjob
#   #SBATCH -p preemptible --mem=150M -c 2
#   srun --het-group=1 bash -c 'exit 4'
#   echo 'after het step'
#   exit 3
