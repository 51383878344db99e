"""What `merit` shows a person: durations and dates, proposal ids by unique prefix, and scores in
the metric's units with outcome, reason and epoch (no chain needed)."""

from types import SimpleNamespace

import pytest

from merit.cli.common import EXIT_BAD_INPUT, EXIT_NOT_FOUND, CommandError, format_duration, format_time
from merit.cli.contributor import describe_score
from merit.cli.governance import resolve_proposal


@pytest.mark.parametrize(
    "seconds, text",
    [(0, "0 s"), (45, "45 s"), (250, "4 min 10 s"), (3600, "1 h"), (7300, "2 h 1 min"), (90061, "1 d 1 h")],
)
def test_durations_read_in_at_most_two_units(seconds, text):
    assert format_duration(seconds) == text


def test_times_are_utc_dates_with_how_far_they_are():
    new_year = 1735689600
    assert format_time(new_year) == "2025-01-01 00:00:00 UTC"
    assert format_time(new_year, now=new_year - 250) == "2025-01-01 00:00:00 UTC (in 4 min 10 s)"
    assert format_time(new_year, now=new_year + 7200) == "2025-01-01 00:00:00 UTC (2 h ago)"
    assert format_time(10**20) == "unix time 100000000000000000000"


IDS = [40602287872912345, 40602287870000001, 99887766554433, 0xABCDEF12]


def _records():
    return [SimpleNamespace(proposal=SimpleNamespace(proposal_id=pid)) for pid in IDS]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("99887766554433", 99887766554433),  # the full id
        ("9988", 99887766554433),  # a prefix only it has
        ("406022878729", 40602287872912345),
        ("0xabcd", 0xABCDEF12),  # a hex prefix
        ("0x" + f"{0xABCDEF12:064x}", 0xABCDEF12),  # the full 32-byte hex id, zero-padded
    ],
)
def test_a_proposal_is_found_by_its_id_or_a_prefix_no_other_has(text, expected):
    assert resolve_proposal(_records(), text).proposal.proposal_id == expected


def test_an_ambiguous_or_unknown_prefix_is_refused_with_what_to_do():
    with pytest.raises(CommandError) as ambiguous:
        resolve_proposal(_records(), "4060228787")
    assert "ambiguous prefix: 4060228787 matches 2 proposals" in str(ambiguous.value)
    assert ambiguous.value.code == EXIT_NOT_FOUND
    with pytest.raises(CommandError) as missing:
        resolve_proposal(_records(), "12345")
    assert str(missing.value).startswith("no proposal starts with 12345") and missing.value.code == EXIT_NOT_FOUND
    with pytest.raises(CommandError) as bad:
        resolve_proposal(_records(), "12ab")
    assert "not a proposal id" in str(bad.value) and bad.value.code == EXIT_BAD_INPUT


def _explanation(**fields):
    base = {
        "project_id": 1,
        "epoch": 3,
        "accepted": True,
        "metric": "accuracy",
        "metric_value": None,
        "gain": None,
        "confidence_interval": None,
        "rejection_reason": None,
        "detail": None,
        "copy_of": None,
        "report_cid": "bafy",
    }
    return base | fields


def test_a_model_score_reads_in_the_metric_s_units_with_its_interval_and_epoch():
    shown = describe_score(
        {"score": "31000000"},
        _explanation(metric_value=0.912, gain=0.031, confidence_interval=[0.012, 0.05]),
    )
    assert shown == (
        "accuracy 0.9120; accuracy gain +0.0310 over the champion (confidence interval +0.0120..+0.0500); "
        "accepted: beat the champion; epoch 3"
    )
    assert "31000000" not in shown


def test_a_rejection_says_why_and_of_what():
    copy = describe_score({"score": "0"}, _explanation(accepted=False, rejection_reason="near_copy", copy_of="bafyA"))
    assert copy == "rejected: near_copy of bafyA; epoch 3"
    short = describe_score(
        {"score": "0"}, _explanation(accepted=False, rejection_reason="wrong_length", detail="25 rows short")
    )
    assert short == "rejected: wrong_length (25 rows short); epoch 3"


def test_an_annotator_reads_as_agreement_and_score():
    shown = describe_score(
        {"score": str(240 * 10**9)}, _explanation(metric="annotator_accuracy", metric_value=0.845, epoch=0)
    )
    assert shown == "agreement with consensus 0.845; annotator score 240.0; accepted; epoch 0"


def test_unscored_and_unexplained_contributions():
    assert describe_score({"score": None}, None) == ""
    assert describe_score({"score": "1500000000"}, None) == "score 1.5000 (no explanation indexed)"
