# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["squeue", "--start", "-j", "2342"]
squeue --start -j 2342
