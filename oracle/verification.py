"""Verifying an epoch: fetch its report and every artifact it names (each checked against its CID),
recompute it and list the differences.

`verify_epoch(store, report_cid)` recomputes a report alone (the oracle's own check, before the
epoch is funded). `verify_public(read_public_epoch(...))` is what anyone can run with no oracle file
or key: it reads the epoch from the chain (its funding, its revealed slice, its reveals, the previous
epoch's report), fetches the report and the artifacts by CID, and runs `audit_report` (pure) over them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from web3 import Web3
from web3.contract import Contract

from dao.artifacts import ArtifactStore
from dao.artifacts.store import compute_artifact_cid
from dao.chain import OpenMeritContracts
from dao.proposals import epoch_key
from oracle.reads import read_epoch
from oracle.scoring.recompute import (
    Difference,
    FundedRecord,
    PublicEpoch,
    RevealedSliceRecord,
    audit_report,
    report_differences,
)
from oracle.scoring.report import EpochReport, report_from_json, submission_refs
from oracle.steps import fetch_checked


class ReportUnavailableError(LookupError):
    """The report itself cannot be fetched or read, or the chain names none."""


@dataclass(frozen=True)
class Verification:
    report_cid: str
    report: EpochReport
    unavailable: dict[str, str]  # artifacts the store could not give, and why
    differences: list[Difference]
    unchecked: list[str] = field(default_factory=list)  # what public data could not settle

    @property
    def matches(self) -> bool:
        return not self.differences


def _fetch_report(store: ArtifactStore, report_cid: str) -> EpochReport:
    data, why = fetch_checked(store, report_cid)
    if data is None:
        raise ReportUnavailableError(f"report {report_cid}: {why}")
    try:
        return report_from_json(data)
    except ValueError as error:
        raise ReportUnavailableError(f"report {report_cid} is not an epoch report: {error}") from None


def _fetch_all(store: ArtifactStore, cids: list[str | None]) -> tuple[dict[str, bytes], dict[str, str]]:
    artifacts: dict[str, bytes] = {}
    unavailable: dict[str, str] = {}
    for cid in dict.fromkeys(c for c in cids if c):
        content, reason = fetch_checked(store, cid)
        if content is None:
            unavailable[cid] = str(reason)
        else:
            artifacts[cid] = content
    return artifacts, unavailable


def _input_cids(report: EpochReport) -> list[str | None]:
    inputs = report.inputs
    return [
        inputs.champion_cid,
        inputs.label_items_cid,
        inputs.items_cid,
        *(s.cid for s in inputs.submissions),
    ]


def verify_epoch(store: ArtifactStore, report_cid: str) -> Verification:
    report = _fetch_report(store, report_cid)
    inputs = report.inputs
    artifacts, unavailable = _fetch_all(store, [inputs.answers_cid, inputs.gold_cid, *_input_cids(report)])
    return Verification(report_cid, report, unavailable, report_differences(report, artifacts))


# -- from the chain -------------------------------------------------------------------------------


def funded_epoch(distributor: Contract, project_id: int, epoch: int, from_block: int) -> FundedRecord | None:
    """The project epoch's EpochFunded event, or None when it was never funded."""
    key = epoch_key(project_id, epoch)
    events = distributor.events.EpochFunded().get_logs(from_block=from_block, argument_filters={"epochKey": key})
    if not events:
        return None
    args = events[-1]["args"]  # the distributor funds an epoch once
    return FundedRecord("0x" + bytes(args["merkleRoot"]).hex(), int(args["total"]), str(args["reportCid"]))


def revealed_slice(registry: Contract, project_id: int, epoch: int, from_block: int) -> RevealedSliceRecord | None:
    """The epoch's SliceRevealed event, or None before its slice is revealed."""
    events = registry.events.SliceRevealed().get_logs(
        from_block=from_block, argument_filters={"projectId": project_id, "epoch": epoch}
    )
    if not events:
        return None
    args = events[-1]["args"]  # the registry reveals an epoch's slice once
    return RevealedSliceRecord(
        index=int(args["sliceIndex"]),
        content_hash="0x" + bytes(args["contentHash"]).hex(),
        salt="0x" + bytes(args["salt"]).hex(),
        cid=str(args["cid"]),
    )


def attested_report_cid(registry: Contract, contribution_ids: list[int], from_block: int) -> str | None:
    """The report CID the oracle attested the epoch's contributions with (ScoreAttested)."""
    if not contribution_ids:
        return None
    events = registry.events.ScoreAttested().get_logs(
        from_block=from_block, argument_filters={"contributionId": contribution_ids}
    )
    return str(events[-1]["args"]["reportCid"]) if events else None


def public_report_cid(contracts: OpenMeritContracts, project_id: int, epoch: int, to_block: int) -> str | None:
    """The report the chain names for the epoch: the funded one, else the one its scores were
    attested with; None when the chain names none."""
    blocks = contracts.deployment.contracts
    funded = funded_epoch(contracts.distributor, project_id, epoch, blocks["distributor"].block_number)
    if funded is not None:
        return funded.report_cid
    start = blocks["registry"].block_number
    reveals, _ = read_epoch(contracts.registry, project_id, epoch, start, to_block)
    return attested_report_cid(contracts.registry, [r.contribution_id for r in reveals], start)


@dataclass(frozen=True)
class PublicData:
    """Everything public about an epoch that its verification reads."""

    report_cid: str
    report: EpochReport
    public: PublicEpoch
    artifacts: dict[str, bytes]  # by CID, each checked against its CID
    unavailable: dict[str, str]  # CIDs the store could not give, and why
    notes: list[str]  # what could not be read (said with the result)


def read_public_epoch(
    w3: Web3,
    contracts: OpenMeritContracts,
    store: ArtifactStore,
    project_id: int,
    epoch: int,
    report_cid: str | None = None,
) -> PublicData:
    """Reads a project's epoch from the chain (up to the head) and its artifacts by CID. The report
    is the one funded on chain, else the one its scores were attested with, unless `report_cid`
    names another; ReportUnavailableError when there is none or it cannot be read."""
    head = int(w3.eth.block_number)
    registry_block = contracts.deployment.contracts["registry"].block_number
    funded = funded_epoch(
        contracts.distributor, project_id, epoch, contracts.deployment.contracts["distributor"].block_number
    )
    if report_cid is None:
        report_cid = funded.report_cid if funded is not None else public_report_cid(contracts, project_id, epoch, head)
    if report_cid is None:
        raise ReportUnavailableError(
            f"project {project_id}'s epoch {epoch} was neither funded nor attested on chain: no public report to verify"
        )
    report = _fetch_report(store, report_cid)
    reveals, _ = read_epoch(contracts.registry, project_id, epoch, registry_block, head)
    notes: list[str] = []
    previous = None
    previous_cid = public_report_cid(contracts, project_id, epoch - 1, head) if epoch > 0 else None
    if previous_cid is not None:
        try:
            previous = _fetch_report(store, previous_cid)
        except ReportUnavailableError as error:
            notes.append(f"epoch {epoch - 1}'s report: {error}")
    slice_record = revealed_slice(contracts.registry, project_id, epoch, registry_block)
    public = PublicEpoch(
        chain_id=int(w3.eth.chain_id),
        epoch=epoch,
        funded=funded,
        revealed_slice=slice_record,
        submissions=submission_refs([r.as_json() for r in reveals]),
        previous=previous,
    )
    cids = _input_cids(report) + [slice_record.cid if slice_record is not None else None]
    artifacts, unavailable = _fetch_all(store, cids)
    return PublicData(report_cid, report, public, artifacts, unavailable, notes)


def verify_public(data: PublicData) -> Verification:
    """Verifies an epoch from what read_public_epoch read (see audit_report)."""
    audit = audit_report(data.report, data.public, data.artifacts, compute_artifact_cid)
    return Verification(data.report_cid, data.report, data.unavailable, audit.differences, data.notes + audit.unchecked)
