"""The SLURM profile (profiles/slurm) on a real SLURM cluster: the .test config (three
samples and a small sweep) goes through sbatch, one SLURM job per non-local job, and every
output equals, byte for byte, that of a plain local run of the same config.

The cluster is the one ``../shared/tools/local-slurm start`` brings up on this machine (or any
other): its partition and account come from the variables it prints (LOCAL_SLURM_PARTITION,
LOCAL_SLURM_ACCOUNT, LOCAL_SLURM_STATUS_COMMAND). Without a cluster the tests skip and say how
to start one; ``.ci/run`` starts one and sets PIXEL_INFLUENCE_NEED_SLURM=1, which makes a
missing cluster a failure there.

The run uses a copy of the profile with the partition and account filled in, and polls
SLURM every second instead of the plugin's defaults (40 s before the first check, then up to
3 minutes between checks: right on a busy cluster, but minutes of waiting here); see
profiles/README.md.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml
from conftest import DATA, DATA_MISSING, ROOT, job_counts, mirror, output_digests

NEED = "PIXEL_INFLUENCE_NEED_SLURM"
TOOL = ROOT.parent / "shared" / "tools" / "local-slurm"
HOW = (
    f'start a single-node SLURM cluster with `eval "$({TOOL} start)"` (as root; '
    f"`{TOOL} stop` ends it) and run pytest in that shell, or export LOCAL_SLURM_PARTITION "
    "(and LOCAL_SLURM_ACCOUNT, LOCAL_SLURM_STATUS_COMMAND) for a cluster of your own"
)
TEST_CONFIG = ROOT / ".test" / "config" / "config.yaml"
# the plugin's polling made fast for a test (profiles/README.md: "Polling")
FAST_POLLING = (
    "--slurm-init-seconds-before-status-checks",
    "1",
    "--seconds-between-status-checks",
    "1",
)
RUN_TIMEOUT = 1500  # seconds: the run took 4.5 to 8 minutes on 2 shared cores
# what a reused local run must be newer than: the code and the config that made it
SOURCES = ("Snakefile", "workflow", "src", ".test/config")
CACHES = ("__pycache__", ".egg-info")  # written by running the code, not changes to it
# names a finished local run of the .test config that the byte comparison may reuse
REUSE = "PIXEL_INFLUENCE_TEST_RUN"


def required():
    """True where a missing cluster is a failure (CI), not a skip."""
    return os.environ.get(NEED) == "1"


def find_cluster():
    """({partition, account, status_command}, None) when SLURM answers for the partition
    named by LOCAL_SLURM_PARTITION, else (None, why and how to start a cluster)."""
    partition = os.environ.get("LOCAL_SLURM_PARTITION")
    if not partition:
        return None, f"no SLURM cluster: LOCAL_SLURM_PARTITION is not set; {HOW}"
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return None, f"no SLURM cluster: sinfo or sbatch not found; {HOW}"
    proc = subprocess.run(
        ["sinfo", "-h", "-p", partition, "-o", "%a"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0 or proc.stdout.split() != ["up"]:
        said = (proc.stdout + proc.stderr).strip() or "nothing"
        return None, f"no SLURM partition {partition!r} is up (sinfo said: {said}); {HOW}"
    cluster = {
        "partition": partition,
        "account": os.environ.get("LOCAL_SLURM_ACCOUNT", ""),
        "status_command": os.environ.get("LOCAL_SLURM_STATUS_COMMAND") or "sacct",
    }
    return cluster, None


@pytest.fixture(scope="module")
def cluster():
    found, why = find_cluster()
    if found is None:
        if required():
            pytest.fail(f"{NEED}=1 but {why}")
        pytest.skip(why)
    if DATA is None:
        pytest.skip(str(DATA_MISSING))
    return found


def run_snakemake(workdir, *args, timeout=RUN_TIMEOUT):
    """Snakemake in ``workdir`` (started there); its rc and output. Past ``timeout`` it is
    interrupted the way Ctrl-C does it, so that it cancels its SLURM jobs, and the test fails."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir)]
    proc = subprocess.Popen(
        cmd + list(args),
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        pytest.fail(f"snakemake {' '.join(args)} ran past {timeout} s:\n{out}")
    return proc.returncode, out


def with_test_config(workdir):
    (workdir / "config").mkdir(parents=True)
    shutil.copy(TEST_CONFIG, workdir / "config" / "config.yaml")
    return workdir


def filled_profile(folder, cluster):
    """A copy of profiles/slurm with the cluster's partition and account, and nothing
    else changed (no account: the key left out, as profiles/README.md says)."""
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    resources = profile["default-resources"]
    resources["slurm_partition"] = cluster["partition"]
    if cluster["account"]:
        resources["slurm_account"] = cluster["account"]
    else:
        del resources["slurm_account"]
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return folder


@pytest.fixture(scope="module")
def slurm_run(cluster, tmp_path_factory):
    """The .test config through the SLURM profile: its folder, output and wall time."""
    base = tmp_path_factory.mktemp("slurm")
    profile = filled_profile(base / "profile", cluster)
    workdir = with_test_config(base / "run")
    args = ("--workflow-profile", str(profile), *FAST_POLLING)
    args += ("--slurm-status-command", cluster["status_command"], "--config", mirror())
    start = time.monotonic()
    rc, out = run_snakemake(workdir, *args)
    wall = time.monotonic() - start
    assert rc == 0, out
    print(f"SLURM run: {wall:.0f} s")
    return workdir, out, wall


def newest_source():
    """The mtime of the newest file of the code and the .test config (no caches)."""
    return max(
        path.stat().st_mtime
        for top in SOURCES
        for path in [ROOT / top, *(ROOT / top).rglob("*")]
        if path.is_file() and not any(part.endswith(CACHES) for part in path.parts)
    )


def reusable_local_run():
    """The folder named by PIXEL_INFLUENCE_TEST_RUN, a finished local run of the .test
    config that CI has just made in a fresh clone (`snakemake -d .test --cores 2`), when it
    is up to date with the current code: Snakemake's summary plans no update, and every
    output is newer than every source file (Snakemake does not see changes to src/). Else
    None and why."""
    named = os.environ.get(REUSE)
    if not named:
        return None, f"{REUSE} is not set"
    workdir = ROOT / named
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir)]
    proc = subprocess.run(
        cmd + ["--summary"], capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, f"{REUSE}={named}: snakemake --summary failed:\n{proc.stderr}"
    rows = [line.split("\t") for line in proc.stdout.splitlines()[1:]]
    pending = [row[0] for row in rows if row[5] != "no update"]
    if not rows or pending:
        return None, f"{workdir} is not up to date: {pending[:3]}"
    outputs = [workdir / row[0] for row in rows if (workdir / row[0]).is_file()]
    if min(path.stat().st_mtime for path in outputs) <= newest_source():
        return None, f"{workdir} has outputs older than a source file"
    return workdir, None


@pytest.fixture(scope="module")
def local_outputs(cluster, tmp_path_factory):
    """The sha256 of every output of a plain local run of the .test config: CI's own run of
    .test when it is up to date (that saves a run: 30 s or more), else a new one with
    --cores 2."""
    workdir, why = reusable_local_run()
    if workdir is None:
        print(f"a new local run ({why})")
        workdir = with_test_config(tmp_path_factory.mktemp("local"))
        rc, out = run_snakemake(workdir, "--cores", "2", "--config", mirror())
        assert rc == 0, out
    return output_digests(workdir)


def test_slurm_run_gives_the_same_bytes_as_a_local_run(slurm_run, local_outputs):
    workdir, _, _ = slurm_run
    got = output_digests(workdir)
    assert sorted(got) == sorted(local_outputs)
    assert sum(name.endswith((".h5", ".png")) for name in got) > 50
    assert [name for name in local_outputs if got[name] != local_outputs[name]] == []


def job_blocks(out):
    """{Snakemake jobid: (local, rule, resources)} from the job blocks of a run's output."""
    jobs = {}
    for block in re.split(r"\n(?=\S)", out):
        head = re.match(r"(local)?rule (\w+):", block)
        jobid = re.search(r"\n    jobid: (\d+)", block)
        if head and jobid:
            found = re.search(r"\n    resources: (.*)", block)
            resources = dict(r.split("=", 1) for r in found[1].split(", ")) if found else {}
            jobs[int(jobid[1])] = (bool(head[1]), head[2], resources)
    return jobs


def sacct(job_ids):
    """{SLURM job id: its sacct fields} of the given jobs (allocations, not steps)."""
    fields = ["JobID", "JobName", "State", "ExitCode", "Partition", "Account", "ReqCPUS"]
    fields += ["ReqMem", "TimelimitRaw"]
    proc = subprocess.run(
        ["sacct", "-X", "-n", "-P", "-j", ",".join(job_ids), "-o", ",".join(fields)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"sacct does not answer (a cluster without accounting?): {proc.stderr}")
    rows = (dict(zip(fields, line.split("|"))) for line in proc.stdout.splitlines())
    return {row["JobID"]: row for row in rows}


def test_every_job_but_the_localrules_was_one_completed_slurm_job(cluster, slurm_run):
    """One sbatch per non-local job (retries: 1 would add one for a failed job), each
    COMPLETED with exit code 0, in the partition and account given, with one CPU and the
    memory and time its rule asked for."""
    _, out, _ = slurm_run
    run_id = re.search(r"SLURM run ID: (\S+)", out)[1]
    submitted = dict(re.findall(r"Job (\d+) has been submitted with SLURM jobid (\d+)", out))
    jobs = job_blocks(out)
    remote = {jobid: job for jobid, job in jobs.items() if not job[0]}
    assert len(jobs) == job_counts(out)["total"]
    assert len(remote) > 10 and len(remote) < len(jobs)  # the localrules ran in Snakemake
    assert sorted(map(int, submitted)) == sorted(remote)
    assert len(set(submitted.values())) == len(submitted) == out.count("has been submitted")

    accounted = sacct(submitted.values())
    assert sorted(accounted) == sorted(submitted.values())
    for jobid, slurm_id in submitted.items():
        _, rule, resources = remote[int(jobid)]
        got = accounted[slurm_id]
        expected = {
            "JobName": run_id,
            "State": "COMPLETED",
            "ExitCode": "0:0",
            "Partition": cluster["partition"],
            "ReqCPUS": "1",
            "ReqMem": f"{resources['mem_mb']}M",
            "TimelimitRaw": resources["runtime"],
        }
        if cluster["account"]:
            expected["Account"] = cluster["account"]
        assert {key: got[key] for key in expected} == expected, (rule, slurm_id)
