# user: alice
# exit status: 1
# captured: stderr, Slurm 22.05.8, cluster longrun-test
scontrol show job 99999999
