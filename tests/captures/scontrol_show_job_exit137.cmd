# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
scontrol show job 32
