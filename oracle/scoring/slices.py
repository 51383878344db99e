"""How an epoch's hidden slice becomes the scoring engine's inputs: the answers of benchmark items
and the gold labels of label items. The oracle splits the slice before scoring; a verifier splits
the revealed slice the same way and checks the parts hash to the CIDs the report names. Pure."""

from __future__ import annotations


def label_item_ids(items: bytes | None) -> set[str]:
    """The ids of a label-items CSV (header ``item``; the first column of each row)."""
    if items is None:
        return set()
    lines = items.decode("utf-8-sig").splitlines()
    return {line.split(",", 1)[0].strip() for line in lines[1:] if line.strip()}


def split_slice(slice_bytes: bytes, label_items: set[str]) -> tuple[bytes | None, bytes | None]:
    """A hidden slice (``id,answer`` rows) as the scoring engine takes it: the answers of benchmark
    items (``id,answer``) and the gold labels of label items (``item,label``); None for a part with
    no rows. Rows keep their order, so the same slice always gives the same bytes (and CIDs)."""
    lines = slice_bytes.decode("utf-8-sig").splitlines()
    if not lines or lines[0].strip() != "id,answer":
        raise ValueError("a slice starts with the header 'id,answer'")
    answers, gold = ["id,answer"], ["item,label"]
    for line in lines[1:]:
        if not line.strip():
            continue
        item = line.split(",", 1)[0].strip()
        (gold if item in label_items else answers).append(line.strip())
    as_bytes = lambda rows: ("\n".join(rows) + "\n").encode() if len(rows) > 1 else None  # noqa: E731
    return as_bytes(answers), as_bytes(gold)
