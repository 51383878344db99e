"""`merit oracle init` writes a settings file from the chain and the maintainer's options that
`merit oracle close-epoch` takes as is, with the CLI's one keystore password; a profile naming that
file points `merit oracle status` and `verify` at the same journal and store."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dao import keystore
from merit.cli import app as merit
from merit.profile import ArtifactsProfile, Profile, write_profile
from tests.oracle.helpers import ORACLE_KEY

pytestmark = pytest.mark.usefixtures("isolation")  # a snapshot around every test

PASSWORD = "correct horse"


def test_init_then_close_epoch_on_a_local_chain(world, bob, outsider, tmp_path, monkeypatch):
    keystores = tmp_path / "keystores"
    keystore.save(keystores, "oracle", ORACLE_KEY, PASSWORD)
    env = {
        "MERIT_KEYSTORE_DIR": str(keystores),
        "MERIT_KEYSTORE_PASSWORD": PASSWORD,
        "MERIT_ARTIFACTS_PATH": str(world.tmp_path / "artifacts"),  # where the world's contributors upload
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MERIT_ORACLE_KEYSTORE_PASSWORD", raising=False)
    monkeypatch.delenv("MERIT_ORACLE_PRIVATE_KEY", raising=False)
    project = world.settings.project
    out = tmp_path / "mine" / "oracle.json"
    args = [
        "oracle",
        "init",
        "--project",
        str(world.project_id),
        "--deployment",
        str(world.settings.deployment),
        "--rpc-url",
        world.settings.rpc_url,
        "--keystore",
        "oracle",
        "--slices",
        str(project.slices_path),
        "--baseline",
        str(project.champion_path),
        "--budget",
        "1000",
        "--classes",
        "n,y",
        "--out",
        str(out),
    ]
    runner = CliRunner()
    made = runner.invoke(merit, args)
    assert made.exit_code == 0, made.output
    assert f"wrote {out}: project {world.project_id} (Sentiment, classification, accuracy;" in made.stdout
    assert "its password in MERIT_KEYSTORE_PASSWORD" in made.stdout and "warning" not in made.stdout
    written = json.loads(out.read_text())
    assert written["project"]["budget_wei"] == str(1000 * 10**18)
    assert written["keystore_password_env"] == "MERIT_KEYSTORE_PASSWORD" and "private_key" not in written
    assert written["confirmations"] == 1 and written["database_url"] == f"sqlite:///{out.with_suffix('.db')}"

    again = runner.invoke(merit, args)
    assert again.exit_code == 2 and f"{out} exists" in again.stderr
    wrong = runner.invoke(merit, [*args[:-1], str(tmp_path / "other.json"), "--slices", str(world.tmp_path / "x")])
    assert wrong.exit_code == 2 and "--slices: no such file" in wrong.stderr

    world.submit(bob, world.workload.predictions["better"])
    world.submit(outsider, world.workload.predictions["best"])
    world.finalize(0)
    closed = runner.invoke(merit, ["oracle", "close-epoch", "0", "--no-wait", "--json", "--config", str(out)])
    assert closed.exit_code == 0, closed.output
    record = json.loads(closed.stdout.strip().splitlines()[-1])
    assert record["step"] == "proposed" and record["submissions"] == 2 and record["report_cid"]

    # a profile naming the file: status and verify find the journal and the store without --config
    profile = write_profile(
        tmp_path / "profile.json",
        Profile(
            artifacts=ArtifactsProfile(backend="embedded", path=world.tmp_path / "artifacts"),
            oracle_settings=out,
        ),
    )
    monkeypatch.setenv("MERIT_PROFILE", str(profile))
    monkeypatch.delenv("MERIT_ARTIFACTS_PATH")
    status = runner.invoke(merit, ["oracle", "status", "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout.splitlines()[0])["report_cid"] == record["report_cid"]
    verified = runner.invoke(merit, ["oracle", "verify", "0", "--json"])
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["matches"] is True


def test_init_refuses_slices_the_project_did_not_commit_to(world, tmp_path):
    other = tmp_path / "other-slices"
    from dao.slices import SliceSet
    from oracle.hidden import write_slice_manifest

    manifest = write_slice_manifest(other, SliceSet.build([b"id,answer\nq0,y\n"]))
    result = CliRunner().invoke(
        merit,
        [
            "oracle",
            "init",
            "--project",
            str(world.project_id),
            "--deployment",
            str(world.settings.deployment),
            "--rpc-url",
            world.settings.rpc_url,
            "--slices",
            str(manifest),
            "--budget",
            "10",
            "--out",
            str(tmp_path / "o.json"),
        ],
    )
    assert result.exit_code == 2 and "--slices: the slices in" in result.stderr and "committed to" in result.stderr
    assert not (tmp_path / "o.json").exists()
    missing = CliRunner().invoke(
        merit,
        ["oracle", "init", "--project", "999", "--deployment", str(world.settings.deployment)]
        + ["--rpc-url", world.settings.rpc_url, "--slices", str(manifest), "--budget", "10"]
        + ["--out", str(tmp_path / "o.json")],
    )
    assert missing.exit_code == 3 and missing.stderr.strip() == "error: no project 999 on chain"
