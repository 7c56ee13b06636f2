# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["sacct", "-P", "-n", "--delimiter=\u001f75ef7717fee1edfe\u001f", "--format=JobID,JobName,User,Partition,NodeList,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,MaxRSS,ReqMem,AllocCPUS,Comment,WorkDir,Reason,JobIDRaw,NNodes,NTasks,TotalCPU,ReqTRES,AllocTRES,TRESUsageInMax,TRESUsageInTot", "-j", "431,432,433,434,435,436,437,438"]
sacct -P -n '--delimiter='$'\x1f''75ef7717fee1edfe'$'\x1f''' --format=JobID,JobName,User,Partition,NodeList,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,MaxRSS,ReqMem,AllocCPUS,Comment,WorkDir,Reason,JobIDRaw,NNodes,NTasks,TotalCPU,ReqTRES,AllocTRES,TRESUsageInMax,TRESUsageInTot -j 431,432,433,434,435,436,437,438
