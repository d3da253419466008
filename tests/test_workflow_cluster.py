"""The profiles in profiles/: local-cluster runs every job through the generic cluster
executor, each in its own process with a clean environment, and must give the same bytes as
a plain local run; slurm must hand each rule its resources."""

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml
from conftest import (
    CLUSTER_LEAK,
    ROOT,
    job_counts,
    needs_data,
    output_digests,
    snakemake,
    workdir_with_config,
)

PROFILE = ROOT / "profiles" / "local-cluster"
LOCAL_RULES = {"all", "download"}
LEAK = CLUSTER_LEAK
# what bash and env put in an environment started with env -i PATH=... HOME=...
CLEAN = {"HOME", "PATH", "PWD", "SHLVL", "_"}


def spool(workdir):
    return workdir / ".snakemake" / "local-cluster"


@needs_data
def test_cluster_run_gives_the_same_bytes_as_a_local_run(cluster_run, default_run_and_outputs):
    workdir, _ = cluster_run
    _, local = default_run_and_outputs
    got = output_digests(workdir)
    assert sorted(got) == sorted(local)
    assert sum(name.endswith((".h5", ".png")) for name in got) > 100
    assert [name for name in local if got[name] != local[name]] == []


@needs_data
def test_every_job_but_the_localrules_went_through_submit_sh(cluster_run):
    workdir, out = cluster_run
    remote = {rule: n for rule, n in job_counts(out).items() if rule not in LOCAL_RULES}
    remote.pop("total")
    assert sum(remote.values()) > 30
    assert out.count("Submitted job") == sum(remote.values())
    assert "localrule download:" in out
    rcs = sorted(spool(workdir).glob("job-*.rc"))
    assert len(rcs) == sum(remote.values())
    assert {rc.read_text() for rc in rcs} == {"0\n"}
    # submit.sh got each job's rule and resources (mem_mb, runtime) from the submit command
    infos = [info.read_text().split() for info in spool(workdir).glob("job-*.info")]
    assert Counter(rule for rule, _, _ in infos) == remote
    assert all(mem_mb.isdigit() and runtime.isdigit() for _, mem_mb, runtime in infos)


@needs_data
def test_jobs_ran_in_a_clean_environment_in_their_own_process(cluster_run):
    workdir, _ = cluster_run
    envs = [
        dict(line.split("=", 1) for line in path.read_text().splitlines())
        for path in spool(workdir).glob("job-*.env")
    ]
    assert len(envs) == len(list(spool(workdir).glob("job-*.rc")))
    for env in envs:
        assert set(env) <= CLEAN and LEAK not in env, env
        assert env["PWD"] == "/"
        assert env["PATH"] == f"{Path(sys.executable).parent}:/usr/bin:/bin"
    pids = [path.read_text() for path in spool(workdir).glob("job-*.pid")]
    assert len(set(pids)) == len(envs)


def status(workdir, job_id, command=PROFILE / "status.sh"):
    """What the status command says, run in the working directory as Snakemake runs it."""
    proc = subprocess.run(
        [str(command), job_id], cwd=workdir, check=True, capture_output=True, text=True
    )
    return proc.stdout


def submit(workdir, command):
    """Submit a jobscript that runs ``command`` after calling python -m snakemake the way
    Snakemake's jobscripts do (submit.sh takes the PATH for the job from that call)."""
    jobscript = workdir / "jobscript.sh"
    jobscript.write_text(
        "#!/bin/sh\n# properties = {}\n"
        f"cd {workdir} && {sys.executable} -m snakemake --version >/dev/null && {command}\n"
    )
    proc = subprocess.run(
        [str(PROFILE / "submit.sh"), "rule", "100", "1", str(jobscript)],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    assert re.fullmatch(r"job-[A-Za-z0-9]+\n", proc.stdout), proc.stdout
    return proc.stdout.strip()


def final_status(workdir, job_id):
    link = workdir / ".snakemake/local-cluster/status.sh"
    deadline = time.monotonic() + 60
    while (answer := status(workdir, job_id, link)) == "running\n":
        assert time.monotonic() < deadline, f"{job_id} still running"
        time.sleep(0.1)
    return answer


def test_status_of_finished_failed_killed_and_unknown_jobs(tmp_path):
    assert status(tmp_path, "job-unknown") == "failed\n"  # e.g. resumed after a crash
    assert status(tmp_path, "../../etc/passwd") == "failed\n"
    assert status(tmp_path, "") == "failed\n"

    assert final_status(tmp_path, submit(tmp_path, "exit 0")) == "success\n"
    failing = submit(tmp_path, "exit 3")
    assert final_status(tmp_path, failing) == "failed\n"
    assert (spool(tmp_path) / f"{failing}.rc").read_text() == "3\n"

    sleeping = submit(tmp_path, "sleep 60")
    pid_file = spool(tmp_path) / f"{sleeping}.pid"
    deadline = time.monotonic() + 30
    while not pid_file.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert status(tmp_path, sleeping) == "running\n"
    os.killpg(int(pid_file.read_text()), signal.SIGKILL)  # its session: the job and sleep
    assert final_status(tmp_path, sleeping) == "failed\n"
    assert not (spool(tmp_path) / f"{sleeping}.rc").exists()


def resources_by_rule(dry_run_output):
    """{rule: the resources line of its first job} from the jobs a dry run lists."""
    found = {}
    for block in re.split(r"\n(?=\S)", dry_run_output):
        rule = re.match(r"(?:local)?rule (\w+):", block)
        resources = re.search(r"\n    resources: (.*)", block)
        if rule and resources:
            found.setdefault(rule[1], dict(r.split("=", 1) for r in resources[1].split(", ")))
    return found


def test_slurm_profile_gives_each_rule_its_resources(tmp_path):
    """A dry run with the SLURM executor plugin (no SLURM here, so nothing is submitted):
    every job gets the profile's partition, account and cores, and the memory and time its
    rule declares (sized from its inputs by pixel_influence.resources), not a fixed number."""
    from pixel_influence import resources as job_resources

    profile = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
    assert "set-resources" not in profile
    assert not {"mem_mb", "runtime"} & set(profile["default-resources"])
    workdir = workdir_with_config(tmp_path)
    out = snakemake(workdir, "-n", "--workflow-profile", "slurm", cwd=workdir).stdout
    resources = resources_by_rule(out)
    local = resources_by_rule(snakemake(workdir, "-n", "--cores", "2").stdout)
    assert {"mnist", "weights", "influence", "montage", "faithfulness"} <= set(resources)
    for rule, got in resources.items():
        for key in ("slurm_partition", "slurm_account", "cpus_per_task"):
            assert got[key] == str(profile["default-resources"][key]), (rule, key)
        if rule != "all":  # the one job that runs nothing
            for key in ("mem_mb", "runtime"):
                assert got[key] == local[rule][key], (rule, key)
    cfg = yaml.safe_load((workdir / "config/config.yaml").read_text())
    declared = job_resources.influence_mem_mb(
        {"fill": 1.0}, cfg["methods"], cfg["method_parameters"]
    )
    assert resources["influence"]["mem_mb"] == str(declared)
