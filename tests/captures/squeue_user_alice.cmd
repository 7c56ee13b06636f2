# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
squeue -h -o '%i%j%u%T%P%M%l%L%V%S%r%N%k' -u alice
