# user: bob
# exit status: 210
# captured: stderr, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["scancel", "-v", "36"]
scancel -v 36
