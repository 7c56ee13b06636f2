# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["sstat", "-a", "-n", "-P", "--format=JobID,NTasks,Nodelist,MaxRSS,AveRSS,TRESUsageInMax,TRESUsageInTot", "-j", "2324"]
sstat -a -n -P --format=JobID,NTasks,Nodelist,MaxRSS,AveRSS,TRESUsageInMax,TRESUsageInTot -j 2324
