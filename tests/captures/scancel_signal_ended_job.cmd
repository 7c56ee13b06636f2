# user: alice
# exit status: 1
# captured: stderr, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["scancel", "-v", "--signal=USR1", "416"]
scancel -v --signal=USR1 416
