"""`verify N`: fetch an epoch's report and every artifact it names from the artifact store (each
checked against its CID), recompute the epoch and list the differences."""

from __future__ import annotations

from dataclasses import dataclass

from web3.contract import Contract

from dao.artifacts import ArtifactStore
from dao.proposals import epoch_key
from oracle.scoring.recompute import Difference, report_differences
from oracle.scoring.report import EpochReport, report_from_json
from oracle.steps import fetch_checked


class ReportUnavailableError(LookupError):
    """The report itself cannot be fetched or read."""


@dataclass(frozen=True)
class Verification:
    report_cid: str
    report: EpochReport
    unavailable: dict[str, str]  # artifacts the store could not give, and why
    differences: list[Difference]

    @property
    def matches(self) -> bool:
        return not self.differences


def verify_epoch(store: ArtifactStore, report_cid: str) -> Verification:
    data, why = fetch_checked(store, report_cid)
    if data is None:
        raise ReportUnavailableError(f"report {report_cid}: {why}")
    try:
        report = report_from_json(data)
    except ValueError as error:
        raise ReportUnavailableError(f"report {report_cid} is not an epoch report: {error}") from None
    inputs = report.inputs
    cids = [c for c in (inputs.answers_cid, inputs.champion_cid, inputs.label_items_cid, inputs.gold_cid) if c]
    cids += [s.cid for s in inputs.submissions]
    artifacts: dict[str, bytes] = {}
    unavailable: dict[str, str] = {}
    for cid in dict.fromkeys(cids):
        content, reason = fetch_checked(store, cid)
        if content is None:
            unavailable[cid] = str(reason)
        else:
            artifacts[cid] = content
    return Verification(report_cid, report, unavailable, report_differences(report, artifacts))


@dataclass(frozen=True)
class FundedEpoch:
    """What the distributor recorded when the epoch was funded (its EpochFunded event)."""

    merkle_root: str
    total: int
    report_cid: str


def funded_epoch(distributor: Contract, project_id: int, epoch: int, from_block: int) -> FundedEpoch | None:
    """The project epoch's EpochFunded event, or None when it was never funded."""
    key = epoch_key(project_id, epoch)
    events = distributor.events.EpochFunded().get_logs(from_block=from_block, argument_filters={"epochKey": key})
    if not events:
        return None
    args = events[-1]["args"]  # the distributor funds an epoch once
    return FundedEpoch("0x" + bytes(args["merkleRoot"]).hex(), int(args["total"]), str(args["reportCid"]))
