"""The setup script's state file, resume and cleanup, against a stateful stand-in `aws`.

fake_aws.sh keeps what the script created (and refuses to delete what something else still
names, as AWS does), so each test can count what a failed run, a resume and a cleanup leave.
The same script is run for real against the moto server in test_end_to_end.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.walkthrough import Walkthrough
from assistant.walkthrough.render import plan_sh

FAKE = Path(__file__).with_name("fake_aws.sh")
RICH = {
    "name": "billing",
    "az_count": 3,
    "tiers": ["public", "app", "data"],
    "nat": "per_az",
    "ipv6": True,
    "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc-123",
}


def setup_dir(tmp: Path, answers: dict) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "bin").mkdir(exist_ok=True)
    shutil.copy(FAKE, tmp / "bin" / "aws")
    (tmp / "bin" / "aws").chmod(0o755)
    (tmp / "setup.sh").write_text(plan_sh(Walkthrough.from_answers(answers).plan()))
    return tmp


def run(d: Path, script: str = "setup.sh", fail: int = 0) -> subprocess.CompletedProcess:
    env = {
        "PATH": f"{d / 'bin'}:/usr/bin:/bin",
        "FAKE_DIR": str(d),
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "FAKE_FAIL_CALL": str(fail),
    }
    (d / "mutations").unlink(missing_ok=True)  # the failure counts from this run's start
    return subprocess.run(
        ["bash", str(d / script)], cwd=d, env=env, capture_output=True, text=True, timeout=120
    )


def live(d: Path) -> list[list[str]]:
    path = d / "live"
    return [x.split("\t") for x in path.read_text().splitlines()] if path.exists() else []


def names(d: Path) -> list[str]:
    """The call and Name tag of every live resource the script created (one entry each)."""
    out = []
    for _id, _owner, call in live(d):
        m = re.search(r"Key=Name,Value=([a-z0-9-]+)", call)
        if m:
            out.append(f"{call.split()[0]} {m.group(1)}")
    return sorted(out)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    d = setup_dir(tmp_path_factory.mktemp("clean"), RICH)
    r = run(d)
    assert r.returncode == 0, r.stderr
    mutations = int((d / "mutations").read_text())
    return d, mutations, names(d), len(live(d))


def test_a_clean_run_creates_each_named_resource_once_and_a_rerun_changes_nothing(clean_run):
    d, mutations, created, count = clean_run
    assert len(created) == len(set(created)) > 20
    again = run(d)
    assert again.returncode == 0, again.stderr
    assert not (d / "mutations").exists()  # nothing created, attached or authorized again
    assert len(live(d)) == count and "skipped" in again.stderr
    assert again.stdout == f"VPC_ID={live(d)[0][0]}\n"


def failure_points(mutations: int) -> list[int]:
    return sorted({1, mutations // 3, (2 * mutations) // 3, mutations})


def test_a_failed_run_lists_what_it_created_and_its_cleanup_removes_exactly_that(
    clean_run, tmp_path
):
    _, mutations, _, _ = clean_run
    for k in failure_points(mutations):
        d = setup_dir(tmp_path / f"fail-{k}", RICH)
        r = run(d, fail=k)
        assert r.returncode != 0
        assert "injected failure" in r.stderr and "!! Stopped at: " in r.stderr
        report = r.stderr[r.stderr.index("!! Stopped at: ") :]
        made = [x for x in live(d) if not x[0].startswith(("attach-", "route-", "rule-"))]
        ids = [x[0] for x in made if not x[0].startswith("rtbassoc-")]
        if not made:
            assert "Nothing was created." in report
            continue
        for i in ids:  # every resource created is named in the report
            assert i in report, (k, i)
        printed = [x.strip() for x in report.split("newest first", 1)[-1].splitlines()]
        cleanup = (d / "billing-vpc.cleanup.sh").read_text()
        for cmd in [x for x in printed if x.startswith("aws ")]:
            assert f"try '{cmd}'" in cleanup
            assert cmd.startswith("aws --region us-east-1 --endpoint-url http://127.0.0.1:9 ")
        c = run(d, "billing-vpc.cleanup.sh")
        assert c.returncode == 0, (k, c.stderr)
        assert live(d) == [], k  # everything the failed run made is gone, nothing else
        assert not (d / "billing-vpc.state").exists()


def test_a_rerun_after_a_failure_resumes_and_ends_with_the_same_resources_once(clean_run, tmp_path):
    _, mutations, created, count = clean_run
    for k in failure_points(mutations):
        d = setup_dir(tmp_path / f"resume-{k}", RICH)
        first = run(d, fail=k)
        assert first.returncode != 0
        before = {x[0] for x in live(d)}
        again = run(d)
        assert again.returncode == 0, (k, again.stderr)
        assert names(d) == created, k  # nothing twice, nothing missing
        assert len(live(d)) == count, k
        assert before <= {x[0] for x in live(d)}  # what the first run made was kept


def test_a_recorded_resource_deleted_meanwhile_is_created_again(clean_run, tmp_path):
    d = setup_dir(tmp_path / "gone", RICH)
    assert run(d).returncode == 0
    sg = next(x for x in live(d) if "--group-name billing-data-sg" in x[2])[0]
    assert "billing-data-sg" in (d / "billing-vpc.state").read_text()
    env = {"FAKE_DIR": str(d), "PATH": f"{d / 'bin'}:/usr/bin:/bin"}
    subprocess.run(["aws", "ec2", "delete-security-group", "--group-id", sg], env=env, check=True)
    r = run(d)
    assert r.returncode == 0, r.stderr
    assert f"security group billing-data-sg: {sg} was recorded but is gone" in r.stderr
    assert names(d) == clean_run[2]
    assert sg not in (d / "billing-vpc.state").read_text()


def test_a_vpc_of_that_name_the_state_file_does_not_record_stops_the_script(tmp_path):
    d = setup_dir(tmp_path / "taken", RICH)
    assert run(d).returncode == 0
    (d / "billing-vpc.state").rename(d / "elsewhere.state")
    before = live(d)
    r = run(d)
    assert r.returncode == 1
    assert "a VPC named billing-vpc already exists (vpc-" in r.stderr
    assert "Nothing was created." in r.stderr
    assert live(d) == before


def test_state_file_location_follows_the_script_and_can_be_chosen(tmp_path):
    d = setup_dir(tmp_path / "where", {"name": "vault", "tiers": ["app"]})
    assert run(d).returncode == 0
    assert (d / "vault-vpc.state").exists() and (d / "vault-vpc.cleanup.sh").exists()
    e = setup_dir(tmp_path / "chosen", {"name": "vault", "tiers": ["app"]})
    env = dict(os.environ, STATE_FILE=str(tmp_path / "mine.state"))
    env.update(PATH=f"{e / 'bin'}:/usr/bin:/bin", FAKE_DIR=str(e), FAKE_FAIL_CALL="0")
    r = subprocess.run(["bash", "setup.sh"], cwd=e, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "mine.state").exists() and (tmp_path / "mine.cleanup.sh").exists()
    assert not (e / "vault-vpc.state").exists()


def test_cleanup_counts_what_is_already_gone_as_removed_and_can_run_again(tmp_path):
    d = setup_dir(tmp_path / "twice", RICH)
    assert run(d).returncode == 0
    sg = next(x for x in live(d) if "--group-name billing-data-sg" in x[2])[0]
    env = {"FAKE_DIR": str(d), "PATH": f"{d / 'bin'}:/usr/bin:/bin"}
    subprocess.run(["aws", "ec2", "delete-security-group", "--group-id", sg], env=env, check=True)
    # a dependency the cleanup cannot remove yet: an extra rule naming the app group
    app = next(x for x in live(d) if "--group-name billing-app-sg" in x[2])[0]
    extra = ["aws", "ec2", "authorize-security-group-ingress", "--group-id", "sg-x", app]
    subprocess.run(extra, env=env, check=True, capture_output=True)
    first = run(d, "billing-vpc.cleanup.sh")
    assert first.returncode == 1 and "DependencyViolation" in first.stderr
    assert f"already gone: {sg}" in first.stderr
    assert (d / "billing-vpc.state").exists()  # kept: not everything was removed
    lines = (d / "live").read_text().splitlines()
    (d / "live").write_text("".join(x + "\n" for x in lines if not x.startswith("rule-")))
    again = run(d, "billing-vpc.cleanup.sh")
    assert again.returncode == 0, again.stderr
    assert live(d) == [] and not (d / "billing-vpc.state").exists()
