# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["sacct", "-P", "-n", "--delimiter=\u001fdf6ded81142c24e7\u001f", "--format=JobID,JobName,User,Partition,NodeList,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,MaxRSS,ReqMem,AllocCPUS,Comment,WorkDir,Reason,JobIDRaw,NNodes,NTasks,TotalCPU,ReqTRES,AllocTRES,TRESUsageInMax,TRESUsageInTot", "-j", "424,425,426,427"]
sacct -P -n '--delimiter='$'\x1f''df6ded81142c24e7'$'\x1f''' --format=JobID,JobName,User,Partition,NodeList,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,MaxRSS,ReqMem,AllocCPUS,Comment,WorkDir,Reason,JobIDRaw,NNodes,NTasks,TotalCPU,ReqTRES,AllocTRES,TRESUsageInMax,TRESUsageInTot -j 424,425,426,427
