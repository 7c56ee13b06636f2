# user: bob
# exit status: 0
# captured: stderr, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["sstat", "-a", "-n", "-P", "--format=JobID,NTasks,Nodelist,MaxRSS,AveRSS,TRESUsageInMax,TRESUsageInTot", "-j", "1538"]
sstat -a -n -P --format=JobID,NTasks,Nodelist,MaxRSS,AveRSS,TRESUsageInMax,TRESUsageInTot -j 1538
