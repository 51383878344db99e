"""What the CLI suites on anvil share: a module's home folder (the deployment manifest, keystores
and artifact store) in the `MERIT_*` environment, and `merit(...)`, which runs one command in
process as a user would type it and checks its exit code. A module may define its own."""

import pytest
from brownie import web3
from typer.testing import CliRunner

from merit.cli import app

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def env(deployment, tmp_path_factory):
    home = tmp_path_factory.mktemp("cli")
    values = {
        "MERIT_RPC_URL": web3.provider.endpoint_uri,
        "MERIT_DEPLOYMENT": str(home / "development.json"),
        "MERIT_KEYSTORE_DIR": str(home / "keys"),
        "MERIT_KEYSTORE_PASSWORD": PASSWORD,
        "MERIT_ARTIFACTS_PATH": str(home / "artifacts"),
    }
    (home / "development.json").write_text(deployment.model_dump_json())
    return home, values


@pytest.fixture
def merit(env, monkeypatch):
    home, values = env
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()

    def run(*args, input=None, code=0):
        result = runner.invoke(app, [str(a) for a in args], input=input)
        assert result.exit_code == code, (args, result.output, result.exception)
        return result

    run.home = home
    return run
