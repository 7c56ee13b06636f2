# user: alice
# exit status: 1
# captured: stderr, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["sbatch", "--parsable", "-p", "nonexistent", "-D", "/tmp/longrun-tests/alice/captures-fc611d93", "/tmp/longrun-tests/alice/captures-fc611d93/exit3.sh"]
sbatch --parsable -p nonexistent -D /tmp/longrun-tests/alice/captures-fc611d93 /tmp/longrun-tests/alice/captures-fc611d93/exit3.sh
