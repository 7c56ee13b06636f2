# user: bob
# exit status: 1
# captured: stderr, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["scontrol", "hold", "37"]
scontrol hold 37
