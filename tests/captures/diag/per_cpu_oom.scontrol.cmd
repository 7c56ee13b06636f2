# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["scontrol", "show", "job", "2333"]
scontrol show job 2333
