"""`merit tree`: build OpenZeppelin-compatible merkle trees and read proofs out of their dumps.

    merit tree build VALUES.json --encoding uint256,address,uint256 > tree.json
    merit tree proof tree.json 3 [--json]

VALUES.json is a JSON array of leaf values, each an array matching the encoding; numbers may be
JSON numbers or decimal / 0x-hex strings. The dump is the `standard-v1` JSON that
`StandardMerkleTree.load` in `@openzeppelin/merkle-tree` reads, and the other way round.

`--encoding` is split on top-level commas only: commas inside a tuple type stay with it, so
`--encoding "(uint256,address),bytes32[]"` is two types. Whitespace around types is dropped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from dao.vocabulary import REWARD_LEAF_ENCODING

app = typer.Typer(
    help="Merkle trees in OpenZeppelin's StandardMerkleTree format (standard-v1 dumps).", no_args_is_help=True
)
console = Console()  # resolves sys.stdout when printing


class CommandError(Exception):
    """An expected failure, reported as one line on stderr."""


def split_encoding(encoding: str) -> list[str]:
    """Types from a comma-separated list, splitting only at commas outside parentheses."""
    types: list[str] = []
    depth, start = 0, 0
    for position, char in enumerate(encoding):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            types.append(encoding[start:position].strip())
            start = position + 1
    types.append(encoding[start:].strip())
    if depth != 0 or not all(types):
        raise CommandError(f"--encoding {encoding!r} is not a comma-separated list of ABI types")
    return types


def _read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read {what} {path}: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"{what} {path} is not valid JSON: {error}") from None


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(1)


@app.command("build")
def build(
    values_file: Path = typer.Argument(..., metavar="VALUES.json", help="JSON array of leaf values (arrays)."),
    encoding: str = typer.Option(
        ",".join(REWARD_LEAF_ENCODING),
        "--encoding",
        "-e",
        help="ABI types of a leaf, comma-separated (default: the reward leaf).",
    ),
    sort_leaves: bool = typer.Option(True, "--sort/--no-sort", help="Order leaves by hash (default, as in JS)."),
) -> None:
    """Build the tree over VALUES.json and print its standard-v1 dump."""
    from dao.merkle import MerkleTreeError, StandardMerkleTree

    try:
        types = split_encoding(encoding)
        values = _read_json(values_file, "values file")
        if not isinstance(values, list) or not all(isinstance(v, list) for v in values):
            raise CommandError(f"values file {values_file} must hold a JSON array of arrays (one per leaf)")
        tree = StandardMerkleTree.of(values, types, sort_leaves=sort_leaves)
    except (CommandError, MerkleTreeError) as error:
        raise _fail(error) from None
    # ASCII-only JSON: any string (even a lone surrogate) prints, and loads back the same
    typer.echo(json.dumps(tree.dump(), indent=2))


@app.command("proof")
def proof(
    dump_file: Path = typer.Argument(..., metavar="DUMP.json", help="A standard-v1 tree dump."),
    index: int = typer.Argument(..., help="Value index (position in the values the tree was built from)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Print the value at INDEX, its leaf hash and its proof."""
    from dao.merkle import MerkleTreeError, StandardMerkleTree

    try:
        dump = _read_json(dump_file, "tree dump")
        tree = StandardMerkleTree.load(dump)
        if not 0 <= index < tree.length:
            raise CommandError(
                f"index {index} is out of range: the tree has {tree.length} values (0..{tree.length - 1})"
            )
        value = tree.at(index)
        leaf = tree.leaf_hash(value)
        nodes = tree.get_proof(index)
    except (CommandError, MerkleTreeError) as error:
        raise _fail(error) from None
    if as_json:
        typer.echo(
            json.dumps({"index": index, "value": value, "leaf": leaf, "proof": nodes, "root": tree.root}, indent=2)
        )
        return
    table = Table(show_header=False, box=None)
    table.add_row("root", tree.root)
    table.add_row("index", str(index))
    table.add_row("value", json.dumps(value))
    table.add_row("leaf", leaf)
    for depth, node in enumerate(nodes):
        table.add_row("proof" if depth == 0 else "", node)
    if not nodes:
        table.add_row("proof", "(empty: the tree has one leaf)")
    console.print(table, soft_wrap=True)
