# user: alice
# exit status: 1
# captured: stderr, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["squeue", "-h", "-j", "99999999"]
squeue -h -j 99999999
