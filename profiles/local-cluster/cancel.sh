#!/usr/bin/env bash
# Cancel command of the local-cluster profile: end the given jobs (ids printed by submit.sh)
# and every process they started, as scancel would.
#
#   cancel.sh ID...    (in the working directory, whose .snakemake/local-cluster is the spool)
#
# Snakemake calls it when it is interrupted (Ctrl-C, SIGINT) with the ids of the jobs still
# running, up to 20 at a time (cluster-generic-cancel-nargs), and kills it after 2 s. Each
# job runs in a session of its own whose leader's pid is in <id>.pid; that pid also leads the
# job's process group, which holds the job's shell, its Snakemake and the script's python.
# So: mark each job cancelled, send the group SIGTERM, give it a second, then SIGKILL what is
# left. The job's shell dies before it writes <id>.rc, so status.sh answers "failed" for it
# (and does so at once for a job marked cancelled). A job whose shell has not written its pid
# yet sees the mark when it does and ends without running the jobscript (see submit.sh).
set -uo pipefail

spool=$PWD/.snakemake/local-cluster

# whether process group $1 still has a process that runs (a zombie does not: it has ended
# and waits for its parent, or for init, to read its status)
running() {
    local stat line fields
    for stat in /proc/[0-9]*/stat; do
        { read -r line <"$stat"; } 2>/dev/null || continue
        # after the command name, which may hold spaces: state ppid pgrp ...
        read -ra fields <<<"${line##*) }"
        [[ ${fields[2]} == "$1" && ${fields[0]} != Z ]] && return 0
    done
    return 1
}

groups=()
rc=0
for id in "$@"; do
    job=$spool/$id
    if [[ ! $id =~ ^job-[A-Za-z0-9]+$ || ! -f $job.sh ]]; then
        echo "cancel.sh: no job '$id' in $spool" >&2
        rc=1
        continue
    fi
    [[ -f $job.rc ]] && continue # it has ended already
    # the mark first, the pid second: submit.sh's job shell writes its pid first and reads the
    # mark second, so one of the two always sees the other
    : >"$job.cancelled"
    [[ -f $job.pid ]] || continue
    pid=$(<"$job.pid")
    [[ $pid =~ ^[0-9]+$ ]] || continue
    if kill -TERM -- "-$pid" 2>/dev/null; then
        groups+=("$pid")
    fi
done

# wait up to a second for the groups to end, then kill what is left
for _ in 1 2 3 4 5 6 7 8 9 10; do
    alive=()
    for pid in "${groups[@]}"; do
        running "$pid" && alive+=("$pid")
    done
    groups=("${alive[@]}")
    [[ ${#groups[@]} -eq 0 ]] && break
    sleep 0.1
done
for pid in "${groups[@]}"; do
    kill -KILL -- "-$pid" 2>/dev/null
done
exit $rc
