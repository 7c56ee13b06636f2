# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["sacct", "-P", "-n", "--delimiter=\u001fbPOed8hQIFw\u001f", "--format=JobID,JobName,User,Partition,NodeList,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,MaxRSS,ReqMem,AllocCPUS,Comment,WorkDir,Reason,JobIDRaw,NNodes,NTasks,TotalCPU,ReqTRES,AllocTRES,TRESUsageInMax,TRESUsageInTot", "-j", "2341"]
sacct -P -n '--delimiter=bPOed8hQIFw' --format=JobID,JobName,User,Partition,NodeList,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,MaxRSS,ReqMem,AllocCPUS,Comment,WorkDir,Reason,JobIDRaw,NNodes,NTasks,TotalCPU,ReqTRES,AllocTRES,TRESUsageInMax,TRESUsageInTot -j 2341
