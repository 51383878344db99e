"""The `merit` command: one entry point for contributors, DAO members, maintainers and explorers.

Each area of commands lives in its own module and is mounted here as a typer sub-app.
"""

from __future__ import annotations

import typer

from merit.cli import (
    accounts,
    api,
    artifacts,
    chain,
    contributor,
    demo,
    deploy,
    governance,
    index,
    labels,
    oracle,
    predictions,
    project,
    status,
    tree,
    verify,
)

app = typer.Typer(
    name="merit",
    help="OpenMerit: reward the people who improve open AI projects.",
    no_args_is_help=True,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        from dao import __version__

        typer.echo(f"merit (OpenMerit) {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """OpenMerit: reward the people who improve open AI projects."""
    if ctx.invoked_subcommand == "demo":  # the demo starts its own chain, store and API, and writes the profile
        return
    from merit.cli.common import EXIT_BAD_INPUT, fail
    from merit.profile import ProfileError, applied

    try:
        ctx.with_resource(applied())  # the profile's values, where no environment variable is set
    except ProfileError as error:
        fail(str(error), EXIT_BAD_INPUT)


app.command("demo")(demo.run)
app.command("deploy")(deploy.deploy)
app.command("status")(status.status)
app.command("verify")(verify.verify)
app.add_typer(accounts.app, name="accounts")
app.add_typer(project.app, name="project")
for contributor_command in (
    contributor.submit,
    contributor.reveal,
    contributor.contributions,
    contributor.rewards,
    contributor.claim,
):
    app.command(contributor_command.__name__)(contributor_command)
for member_command in (
    governance.delegate,
    governance.proposals,
    governance.vote,
    governance.queue,
    governance.execute,
):
    app.command(member_command.__name__)(member_command)
app.add_typer(tree.app, name="tree")
app.add_typer(artifacts.app, name="artifacts")
app.add_typer(labels.app, name="labels")
app.add_typer(predictions.app, name="predictions")
app.add_typer(api.app, name="api")
app.add_typer(index.app, name="index")
app.add_typer(oracle.app, name="oracle")
app.add_typer(chain.app, name="chain")


def main() -> None:
    """The `merit` entry point: a failure no command expected is one line too (exit 1); MERIT_DEBUG=1
    shows its traceback."""
    import os
    import sys

    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except Exception as exc:  # a bug: still one line, never a traceback a user must read
        if os.environ.get("MERIT_DEBUG"):
            raise
        sys.stderr.write(f"error: unexpected {type(exc).__name__}: {exc} (MERIT_DEBUG=1 shows where)\n")
        raise SystemExit(1) from None
