# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["squeue", "-h", "-o", "%i\u001f%j\u001f%u\u001f%T\u001f%P\u001f%M\u001f%l\u001f%L\u001f%V\u001f%S\u001f%r\u001f%N\u001f%k", "-t", "all", "-j", "36,37,38,34"]
squeue -h -o '%i'$'\x1f''%j'$'\x1f''%u'$'\x1f''%T'$'\x1f''%P'$'\x1f''%M'$'\x1f''%l'$'\x1f''%L'$'\x1f''%V'$'\x1f''%S'$'\x1f''%r'$'\x1f''%N'$'\x1f''%k' -t all -j 36,37,38,34
