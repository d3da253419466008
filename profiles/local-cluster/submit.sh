#!/usr/bin/env bash
# Submit command of the local-cluster profile: start one Snakemake jobscript as a "cluster
# job" on this machine, detached from Snakemake, and print the job's id (job-XXXXXXXX).
#
#   submit.sh [RULE MEM_MB RUNTIME] JOBSCRIPT    (Snakemake appends the jobscript)
#
# The job runs in a session of its own (setsid), with an empty environment (env -i) but for
# HOME and PATH=<directory of the python that runs Snakemake>:/usr/bin:/bin, and it starts
# in / (the jobscript cds to the working directory itself). So it shares nothing with the
# Snakemake process but the files, as on a cluster node.
#
# Snakemake runs this command in the working directory. The spool directory
# .snakemake/local-cluster there holds, per job:
#   <id>       the reserved id          <id>.sh    a copy of the jobscript, as it ran
#   <id>.info  rule and resources       <id>.env   the environment the jobscript ran in
#   <id>.pid   pid of the job's shell   <id>.out   the job's stdout and stderr
#   <id>.rc    the exit status, written last; status.sh reads it
#   <id>.cancelled   written by cancel.sh
# and status.sh and cancel.sh, links to this profile's scripts: the profile's status and
# cancel commands call them by these paths, relative to the working directory, which works
# wherever the profile is.
set -euo pipefail

jobscript=${!#}
info=("${@:1:$#-1}")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
spool=$PWD/.snakemake/local-cluster
mkdir -p "$spool"

# the python that runs Snakemake, as the jobscript calls it: "... PYTHON -m snakemake ..."
python=$(sed -n "s/^.* '\{0,1\}\([^ ']*\)'\{0,1\} -m snakemake .*$/\1/p" "$jobscript")
if [[ ! -x $python ]]; then
    echo "submit.sh: no python before '-m snakemake' in $jobscript" >&2
    exit 1
fi

# replace the links in one rename each: Snakemake may be calling them right now
for command in status.sh cancel.sh; do
    ln -s "$here/$command" "$spool/.$command.$$"
    mv -T "$spool/.$command.$$" "$spool/$command"
done

job=$(mktemp "$spool/job-XXXXXXXX")
cp "$jobscript" "$job.sh"
echo "${info[*]}" >"$job.info"
cd / # where the job starts; nothing below depends on the directory

# The job's own shell. It must not stop before the rc file is written, or Snakemake waits
# for ever: no set -e in it (a new bash started by env -i inherits none from this script).
# The pid and rc files are written under another name and renamed, so status.sh never reads
# half a file. A job cancelled before its pid file existed (cancel.sh could not kill it)
# ends here without an rc file, which status.sh reports as failed.
# shellcheck disable=SC2016  # $1, $$ and $? belong to the job's shell
run='set +e
echo $$ >"$1.pid.part" && mv "$1.pid.part" "$1.pid"
[ -e "$1.cancelled" ] && exit 143
env >"$1.env"
/bin/sh "$1.sh"
echo $? >"$1.rc.part" && mv "$1.rc.part" "$1.rc"'

setsid env -i PATH="$(dirname "$python"):/usr/bin:/bin" HOME="$HOME" \
    bash -c "$run" job "$job" </dev/null >"$job.out" 2>&1 &

echo "${job##*/}"
