"""Interrupting a run of the local-cluster profile: Ctrl-C (SIGINT) makes Snakemake call the
profile's cancel command (profiles/local-cluster/cancel.sh) with the jobs still running,
which ends each job's whole process group at once; Snakemake exits, and a later run picks up
where this one stopped. (SIGTERM does not cancel: Snakemake then submits nothing more and
waits for the running jobs to finish; profiles/README.md.)"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from conftest import ROOT, mirror, needs_data, output_digests, workdir_with_config
from test_workflow_cluster import submit  # a jobscript through submit.sh: its id

# one digit, one method: its influence job runs for minutes (100,000 permutations: 2 minutes
# in benchmarks/memory.py, 6.5 on 2 busy cores), every other job for seconds
LONG = 100_000
SHORT = 2
INFLUENCE = "results/influence/digit3.h5"  # what the long job makes
PROFILE = ROOT / "profiles" / "local-cluster"


def config(cfg, permutations):
    cfg["samples"] = {"digit3": {"split": "test", "index": 18}}
    cfg["methods"] = ["shapley_sampling"]
    cfg["method_parameters"] = {"shapley_sampling": {"permutations": permutations, "seed": 0}}
    cfg.pop("sweep", None)


def start(workdir, log):
    """Snakemake with the local-cluster profile, its output to ``log``, in a process group
    of its own as a terminal starts it (Ctrl-C sends SIGINT to that group)."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir)]
    cmd += ["--workflow-profile", "local-cluster", "--config", mirror()]
    with open(log, "w") as out:
        return subprocess.Popen(
            cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def submitted_id(log, output):
    """The external id of the job that makes ``output``, once Snakemake has submitted it."""
    text = log.read_text()
    for block in re.split(r"\n(?=\S)", text):
        jobid = re.search(r"\n    jobid: (\d+)", block)
        if jobid and re.search(rf"\n    output: (.*, )?{re.escape(output)}(,|\n)", block):
            found = re.search(rf"Submitted job {jobid[1]} with external jobid '([^']+)'", text)
            return found[1] if found else None
    return None


def processes():
    """{process group: [(pid, command line)]} of the processes alive now (zombies, which
    have ended and wait to be reaped, left out)."""
    groups = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue  # it ended while we looked
        if fields[0] != "Z":
            groups.setdefault(int(fields[2]), []).append((int(stat.parent.name), command))
    return groups


def wait_for(what, seconds, log=None, proc=None):
    """Wait until ``what()`` gives something true and return it; fail after ``seconds``, or
    as soon as ``proc`` (Snakemake, writing to ``log``) has exited."""
    deadline = time.monotonic() + seconds
    while not (found := what()):
        if (proc and proc.poll() is not None) or time.monotonic() > deadline:
            if proc:
                proc.kill()
            said = log.read_text() if log else ""
            raise AssertionError(f"waited in vain for {what.__doc__ or what}:\n{said}")
        time.sleep(0.2)
    return found


@needs_data
def test_ctrl_c_cancels_the_running_job_and_a_later_run_completes(tmp_path):
    workdir = workdir_with_config(tmp_path / "run", lambda cfg: config(cfg, LONG))
    spool = workdir / ".snakemake" / "local-cluster"
    log = tmp_path / "first.log"
    proc = start(workdir, log)

    def long_job():
        """the influence job's script to run"""
        job_id = submitted_id(log, INFLUENCE)
        pid_file = spool / f"{job_id}.pid"
        if job_id is None or not pid_file.exists():
            return None
        members = processes().get(int(pid_file.read_text()), [])
        if any(".snakemake/scripts/" in command for _, command in members):
            return job_id, int(pid_file.read_text()), members
        return None

    job_id, group, members = wait_for(long_job, 300, log, proc)
    assert len(members) >= 4, members  # its shell, the jobscript's sh, its Snakemake, the script
    done = {name: (workdir / name).stat().st_mtime_ns for name in output_digests(workdir)}

    interrupted = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
    proc.wait(timeout=60)
    exited = time.monotonic() - interrupted

    def gone():
        """the cancelled job's processes to end"""
        return group not in processes()

    wait_for(gone, 10)
    ended = time.monotonic() - interrupted
    print(f"Snakemake exited {exited:.1f} s after SIGINT, the job's processes ended {ended:.1f} s")
    out = log.read_text()
    assert proc.returncode == 1, out
    assert "Terminating processes on user request" in out
    assert "No --cluster-cancel given" not in out and "--cluster-cancel failed" not in out
    # cancel.sh marked the job; it wrote no exit status, and the status command says failed
    assert (spool / f"{job_id}.cancelled").exists()
    assert not (spool / f"{job_id}.rc").exists()
    assert status(workdir, job_id) == "failed\n"
    assert exited < 10 and ended < 10

    # the later run (with the long job made short) needs no --unlock or --rerun-incomplete,
    # and redoes nothing that the interrupted run had finished
    cfg = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
    config(cfg, SHORT)
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    later = start(workdir, tmp_path / "later.log")
    later.wait(timeout=600)
    out = (tmp_path / "later.log").read_text()
    assert later.returncode == 0, out
    assert "Resuming incomplete job" not in out
    outputs = output_digests(workdir)
    assert {name: (workdir / name).stat().st_mtime_ns for name in done} == done
    assert INFLUENCE in outputs and set(done) < set(outputs)


def cancel(workdir, *job_ids):
    """cancel.sh as Snakemake calls it: by its link in the spool, without a shell."""
    return subprocess.run(
        [".snakemake/local-cluster/cancel.sh", *job_ids],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=2,  # what Snakemake gives it
    )


def status(workdir, job_id):
    command = [".snakemake/local-cluster/status.sh", job_id]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True).stdout


def test_cancel_sh_ends_each_job_and_leaves_the_others(tmp_path):
    """cancel.sh on its own: two running jobs, one finished, one cancelled at once after its
    submission (before or after its shell started), and an unknown id."""
    spool = tmp_path / ".snakemake" / "local-cluster"
    finished = submit(tmp_path, "exit 0")
    sleeping = [submit(tmp_path, "sleep 60") for _ in range(2)]
    pid_files = [spool / f"{job_id}.pid" for job_id in [finished, *sleeping]]
    wait_for(lambda: all(path.exists() for path in pid_files), 30)
    wait_for(lambda: (spool / f"{finished}.rc").exists(), 30)
    groups = [int(path.read_text()) for path in pid_files[1:]]
    assert all(group in processes() for group in groups)

    started = time.monotonic()
    done = cancel(tmp_path, finished, *sleeping, "job-unknown")
    took = time.monotonic() - started
    assert done.returncode == 1 and "no job 'job-unknown'" in done.stderr
    assert not set(groups) & set(processes()), "a cancelled job still runs"
    assert took < 1.5
    assert [status(tmp_path, job_id) for job_id in [finished, *sleeping]] == [
        "success\n",
        "failed\n",
        "failed\n",
    ]
    assert sorted(path.stem for path in spool.glob("*.cancelled")) == sorted(sleeping)
    assert not [job_id for job_id in sleeping if (spool / f"{job_id}.rc").exists()]

    # cancelled right after its submission: its command never gets to run
    ran = tmp_path / "ran"
    early = submit(tmp_path, f"sleep 1 && touch {ran}")
    assert cancel(tmp_path, early).returncode == 0
    assert status(tmp_path, early) == "failed\n"
    time.sleep(2)
    assert not ran.exists() and not (spool / f"{early}.rc").exists()
