# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["squeue", "--start", "-h", "-o", "%i\u001fs9u7NWRonHg\u001f%S\u001fs9u7NWRonHg\u001f%r\u001fs9u7NWRonHg\u001f%Y", "-j", "1541,1542,1544,1538"]
squeue --start -h -o '%i'$'\x1f''s9u7NWRonHg'$'\x1f''%S'$'\x1f''s9u7NWRonHg'$'\x1f''%r'$'\x1f''s9u7NWRonHg'$'\x1f''%Y' -j 1541,1542,1544,1538
