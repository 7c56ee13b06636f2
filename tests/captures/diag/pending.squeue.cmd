# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["squeue", "-h", "-o", "%i\u001fOHq7GLR5arI\u001f%j\u001fOHq7GLR5arI\u001f%u\u001fOHq7GLR5arI\u001f%T\u001fOHq7GLR5arI\u001f%P\u001fOHq7GLR5arI\u001f%M\u001fOHq7GLR5arI\u001f%l\u001fOHq7GLR5arI\u001f%L\u001fOHq7GLR5arI\u001f%V\u001fOHq7GLR5arI\u001f%S\u001fOHq7GLR5arI\u001f%r\u001fOHq7GLR5arI\u001f%N\u001fOHq7GLR5arI\u001f%k", "-t", "all", "-j", "2340,2341,2342,2343,2344,2345,2346,2347,2348"]
squeue -h -o '%iOHq7GLR5arI%jOHq7GLR5arI%uOHq7GLR5arI%TOHq7GLR5arI%POHq7GLR5arI%MOHq7GLR5arI%lOHq7GLR5arI%LOHq7GLR5arI%VOHq7GLR5arI%SOHq7GLR5arI%rOHq7GLR5arI%NOHq7GLR5arI%k' -t all -j 2340,2341,2342,2343,2344,2345,2346,2347,2348
