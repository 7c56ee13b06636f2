# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["sacct", "-P", "-n", "--delimiter=\u001f815dd99c1bc57e6e\u001f", "--format=JobID,JobName,User,Partition,NodeList,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,MaxRSS,ReqMem,AllocCPUS,Comment,WorkDir,Reason,JobIDRaw,NNodes,NTasks,TotalCPU,ReqTRES,AllocTRES,TRESUsageInMax,TRESUsageInTot", "-j", "428"]
sacct -P -n '--delimiter='$'\x1f''815dd99c1bc57e6e'$'\x1f''' --format=JobID,JobName,User,Partition,NodeList,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,MaxRSS,ReqMem,AllocCPUS,Comment,WorkDir,Reason,JobIDRaw,NNodes,NTasks,TotalCPU,ReqTRES,AllocTRES,TRESUsageInMax,TRESUsageInTot -j 428
