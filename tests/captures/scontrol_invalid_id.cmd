# user: alice
# exit status: 1
# captured: stderr, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["scontrol", "show", "job", "99999999"]
scontrol show job 99999999
