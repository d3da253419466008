#!/usr/bin/env bash
# Status command of the local-cluster profile: print running, success or failed for a job
# id printed by submit.sh (Snakemake accepts exactly one of these words and nothing else).
#
#   status.sh ID    (in the working directory, whose .snakemake/local-cluster is the spool)
#
# An id with no job in the spool is "failed": after a crash Snakemake resumes incomplete
# jobs by their id, and a job that is gone must not stay "running" for ever. So is a job
# whose process has ended without writing its exit status (killed), and a job cancel.sh has
# cancelled (at once: its processes may take a moment to end).
set -uo pipefail

id=${1:-}
job=$PWD/.snakemake/local-cluster/$id

from_rc() {
    [[ -f $job.rc ]] || return 1
    if [[ $(<"$job.rc") == 0 ]]; then echo success; else echo failed; fi
}

if [[ ! $id =~ ^job-[A-Za-z0-9]+$ || ! -f $job.sh ]]; then
    echo failed
elif from_rc; then
    :
elif [[ -f $job.cancelled ]]; then
    echo failed
elif [[ ! -f $job.pid ]]; then
    echo running # submitted, its shell has not started yet
elif kill -0 "$(<"$job.pid")" 2>/dev/null; then
    echo running
else
    from_rc || echo failed # it ended between the two looks, or died without a status
fi
