# user: bob
# exit status: 210
# captured: stderr, Slurm 22.05.8, cluster longrun-test
scancel -v 36
