# user: alice
# exit status: 0
# captured: stdout, Slurm 22.05.8, cluster longrun-test
# argv (JSON): ["sacct", "-P", "-n", "--delimiter=\u001fulfk0ftrSKQ\u001f", "--format=JobID,JobName,User,Partition,NodeList,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,MaxRSS,ReqMem,AllocCPUS,Comment,WorkDir,Reason,JobIDRaw,NNodes,NTasks,TotalCPU,ReqTRES,AllocTRES,TRESUsageInMax,TRESUsageInTot", "-j", "1776,1786,1799,1814"]
sacct -P -n '--delimiter='$'\x1f''ulfk0ftrSKQ'$'\x1f''' --format=JobID,JobName,User,Partition,NodeList,State,ExitCode,Submit,Start,End,Elapsed,Timelimit,MaxRSS,ReqMem,AllocCPUS,Comment,WorkDir,Reason,JobIDRaw,NNodes,NTasks,TotalCPU,ReqTRES,AllocTRES,TRESUsageInMax,TRESUsageInTot -j 1776,1786,1799,1814
