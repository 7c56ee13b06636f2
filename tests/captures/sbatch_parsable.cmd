# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["sbatch", "--parsable", "-D", "/tmp/longrun-tests/alice/captures-fc611d93", "-o", "/dev/null", "-J", "lrcap-parsable", "/tmp/longrun-tests/alice/captures-fc611d93/exit3.sh"]
sbatch --parsable -D /tmp/longrun-tests/alice/captures-fc611d93 -o /dev/null -J lrcap-parsable /tmp/longrun-tests/alice/captures-fc611d93/exit3.sh
