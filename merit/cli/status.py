"""`merit status`: the deployment, who holds which role, the epochs and the proposals, in one screen."""

from __future__ import annotations

from collections import Counter

import typer
from rich.table import Table

from merit.cli.common import EXIT_FAILED, console, format_tokens, handle_errors, print_json, settings

ZERO = "0x0000000000000000000000000000000000000000"


def collect() -> dict:
    from dao.chain import connect, load_contracts, project_clock, read_struct
    from dao.proposals import ProposalState
    from merit.cli.governance import proposal_records

    cfg = settings()
    w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
    c = load_contracts(w3, cfg.deployment)
    d = c.deployment
    timelock = c.timelock.address

    def has(contract, role_name: str, account: str) -> bool:
        role = getattr(contract.functions, role_name)().call()
        return contract.functions.hasRole(role, account).call()

    roles = [
        ("timelock", "PROPOSER_ROLE", "governor", has(c.timelock, "PROPOSER_ROLE", c.governor.address)),
        ("timelock", "EXECUTOR_ROLE", "anyone", has(c.timelock, "EXECUTOR_ROLE", ZERO)),
        ("timelock", "DEFAULT_ADMIN_ROLE", "deployer", has(c.timelock, "DEFAULT_ADMIN_ROLE", d.deployer)),
        ("token", "MINTER_ROLE", "timelock", has(c.token, "MINTER_ROLE", timelock)),
        ("registry", "DEFAULT_ADMIN_ROLE", "timelock", has(c.registry, "DEFAULT_ADMIN_ROLE", timelock)),
        ("distributor", "DEFAULT_ADMIN_ROLE", "timelock", has(c.distributor, "DEFAULT_ADMIN_ROLE", timelock)),
    ]
    start = d.contracts["distributor"].block_number
    epochs = []
    for log in c.distributor.events.EpochFunded.get_logs(from_block=start):
        epoch_id = log["args"]["epoch"]
        funded = read_struct(c.distributor.functions.epoch(log["args"]["epochKey"]))
        epochs.append(
            {
                "project_id": log["args"]["projectId"],
                "epoch": epoch_id,
                "total": funded["total"],
                "claimed": funded["claimed"],
                "claim_deadline": funded["claimDeadline"],
                "swept": funded["swept"],
                "report_cid": log["args"]["reportCid"],
            }
        )
    now = int(w3.eth.get_block("latest")["timestamp"])
    projects = []
    for project_id in range(1, c.registry.functions.projectCount().call() + 1):
        clock = project_clock(c.registry, project_id)
        current = clock.epoch_at(now)
        windows = clock.windows(0 if current is None else current)
        state = read_struct(c.registry.functions.project(project_id))
        projects.append(
            {
                "project_id": project_id,
                "epoch": current,
                "phase": windows.phase(now).value,
                "seconds_left": windows.seconds_left(now),
                "bond": clock.bond(windows.epoch),
                "slices_left": int(state["sliceCount"]) - int(state["slicesUsed"]),
                "paused": bool(state["paused"]),
            }
        )
    states = Counter(
        ProposalState(c.governor.functions.state(r.proposal.proposal_id).call()).name.lower()
        for r in proposal_records(c)
    )
    return {
        "network": d.network,
        "chain_id": d.chain_id,
        "block": w3.eth.block_number,
        "contracts": {k: r.address for k, r in d.contracts.items()},
        "roles": [{"contract": a, "role": b, "holder": h, "held": held} for a, b, h, held in roles],
        "treasury_balance": c.token.functions.balanceOf(timelock).call(),
        "projects": projects,
        "contributions": c.registry.functions.contributionCount().call(),
        "epochs": epochs,
        "proposals": dict(states),
    }


def audit(as_json: bool) -> None:
    """Prints the census of dao.census (read from the chain) and exits 1 when anything is off."""
    from dataclasses import asdict

    from dao.census import take_census
    from dao.chain import connect, load_contracts

    cfg = settings()
    w3 = connect(cfg.rpc_url, timeout=cfg.rpc_timeout_seconds)
    census = take_census(w3, load_contracts(w3, cfg.deployment).deployment)
    if as_json:
        print_json({**asdict(census), "ok": census.ok})
    else:
        console.rule(f"Census of OpenMerit on {census.network} (chain id {census.chain_id}, block {census.block})")
        roles = Table(title="Every role held, from RoleGranted/RoleRevoked")
        for column in ("contract", "role", "holder", "account"):
            roles.add_column(column, overflow="fold")
        for r in census.roles:
            roles.add_row(r.contract, r.role, r.holder, r.account)
        console.print(roles)
        for w in census.vesting:
            console.print(
                f"{w.key}: {format_tokens(w.balance)} MERIT for {w.beneficiary}, "
                f"nothing before {w.cliff}, all by {w.end}"
            )
        powers = Table(
            title=f"Votes: quorum {format_tokens(census.quorum)}, {format_tokens(census.votable)} can "
            f"exist, {format_tokens(census.locked)} locked"
        )
        for column in ("holder", "balance", "votes", "can vote"):
            powers.add_column(column, overflow="fold")
        for p in census.powers[:20]:
            powers.add_row(p.holder, format_tokens(p.balance), format_tokens(p.votes), format_tokens(p.potential))
        console.print(powers)
        if census.safety_waiver:
            console.print(f"[yellow]safety checks waived by the config:[/] {census.safety_waiver}")
        for f in census.findings:
            console.print(f"[red]OFF[/] ({f.area}{', waived' if f.waived else ''}): {f.message}")
        console.print("[green]nothing is off[/]" if census.ok else f"[red]{len(census.findings)} finding(s)[/]")
    if not census.ok:
        raise typer.Exit(EXIT_FAILED)


@handle_errors
def status(
    as_json: bool = typer.Option(False, "--json"),
    audit_only: bool = typer.Option(False, "--audit", help="the census from the chain; exit 1 if off"),
) -> None:
    """The deployment, roles, epochs and proposals in one screen."""
    if audit_only:
        audit(as_json)
        return
    from merit.profile import describe

    kept = describe()
    if not as_json:  # before the chain is read: the line says where the state is even when the node is down
        console.print(kept, highlight=False, soft_wrap=True)
    data = collect()
    if as_json:
        print_json({**data, "profile": kept})
        return
    console.rule(f"OpenMerit on {data['network']} (chain id {data['chain_id']}, block {data['block']})")
    contracts = Table(title="Contracts")
    contracts.add_column("contract")
    contracts.add_column("address", no_wrap=True)
    for name, address in data["contracts"].items():
        contracts.add_row(name, address)
    console.print(contracts)
    roles = Table(title="Roles")
    for column in ("contract", "role", "holder", "held"):
        roles.add_column(column)
    for r in data["roles"]:
        roles.add_row(r["contract"], r["role"], r["holder"], "[green]yes[/]" if r["held"] else "[red]no[/]")
    console.print(roles)
    clocks = Table(title="Projects: where each epoch clock stands")
    for column in ("project", "epoch", "phase", "time left", "bond (MERIT)", "slices left", "paused"):
        clocks.add_column(column)
    for p in data["projects"]:
        clocks.add_row(
            str(p["project_id"]),
            "-" if p["epoch"] is None else str(p["epoch"]),
            p["phase"],
            f"{p['seconds_left']} s",
            format_tokens(p["bond"]),
            str(p["slices_left"]),
            "yes" if p["paused"] else "no",
        )
    console.print(clocks)
    epochs = Table(title="Funded epochs")
    for column in ("project", "epoch", "total (MERIT)", "claimed", "deadline", "swept", "report"):
        epochs.add_column(column, overflow="fold")
    for e in data["epochs"]:
        epochs.add_row(
            str(e["project_id"]),
            str(e["epoch"]),
            format_tokens(e["total"]),
            format_tokens(e["claimed"]),
            str(e["claim_deadline"]),
            "yes" if e["swept"] else "no",
            e["report_cid"],
        )
    console.print(epochs)
    console.print(
        f"treasury: {format_tokens(data['treasury_balance'])} MERIT · projects: {data['projects']} · "
        f"contributions: {data['contributions']} · proposals: "
        + (", ".join(f"{n} {s}" for s, n in sorted(data["proposals"].items())) or "none")
    )
