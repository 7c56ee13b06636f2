# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["squeue", "--start", "-h", "-o", "%i\u001fMT4w9gK-BaM\u001f%S\u001fMT4w9gK-BaM\u001f%r\u001fMT4w9gK-BaM\u001f%Y", "-j", "2325"]
squeue --start -h -o '%i'$'\x1f''MT4w9gK-BaM'$'\x1f''%S'$'\x1f''MT4w9gK-BaM'$'\x1f''%r'$'\x1f''MT4w9gK-BaM'$'\x1f''%Y' -j 2325
