# user: alice
# exit status: 0
# captured: stderr, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["scancel", "-v", "35"]
scancel -v 35
