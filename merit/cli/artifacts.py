"""`merit artifacts`: put files into the artifact store and get them back by CID, compute a CID
without storing, and move artifacts to and from IPFS nodes as CAR files.

The store is the embedded one under `.cache/artifacts` unless `--store PATH` names another folder,
or `--kubo URL` (or MERIT_ARTIFACTS_BACKEND=kubo) names an IPFS node's RPC API; the profile
(merit.profile, written by `merit demo`) may name either.

Fetch-through: when an API is named (`--api-url`, MERIT_API_URL, or the profile), an artifact the
embedded store lacks is fetched from `GET {api}/artifacts/{cid}`, its CID recomputed from the bytes,
and kept only when it is the CID asked for (`--no-fetch` reads the local store alone).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:  # the stores load with the first command that opens one, not with `merit --help`
    from dao.artifacts.store import ArtifactStore

app = typer.Typer(
    help="Artifacts by IPFS CID: add, compute a CID, get, stat, pin, gc, and CAR export/import.",
    no_args_is_help=True,
)

_errors = Console(stderr=True, highlight=False, soft_wrap=True)

StoreOption = typer.Option(
    None, "--store", help="Folder of the embedded store [default: MERIT_ARTIFACTS_PATH or .cache/artifacts]."
)
KuboOption = typer.Option(
    None, "--kubo", help="Use the IPFS node at this RPC URL (e.g. http://127.0.0.1:5001) instead of the embedded store."
)
JsonOption = typer.Option(False, "--json", help="Print one JSON object for scripts.")
ApiOption = typer.Option(
    None,
    "--api-url",
    envvar="MERIT_API_URL",
    help="Fetch what the local store lacks from this OpenMerit API, checked by CID "
    "[default: MERIT_API_URL or the profile's].",
)
FetchOption = typer.Option(True, "--fetch/--no-fetch", help="Fetch a missing artifact through the API.")


def _fail(message: str, code: int = 1) -> NoReturn:
    _errors.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


@contextmanager
def _store(store_path: Path | None, kubo_url: str | None, api_url: str | None = None) -> Iterator[ArtifactStore]:
    """The store the options, the environment or the profile name; with `api_url`, an embedded store
    fetches what it lacks through that API (merit.fetch)."""
    from dao.artifacts.config import ArtifactStoreSettings, open_artifact_store

    try:
        settings = ArtifactStoreSettings()
        if kubo_url is not None:
            settings = settings.model_copy(update={"backend": "kubo", "kubo_url": kubo_url})
        elif store_path is not None:
            settings = settings.model_copy(update={"backend": "embedded", "path": store_path})
        store = open_artifact_store(settings)
    except (ValueError, OSError) as exc:
        _fail(f"cannot open the artifact store: {exc}", 2)
    if api_url and settings.backend == "embedded":
        from merit.fetch import FetchThroughStore

        store = FetchThroughStore(store, api_url)
    try:
        yield store
    finally:
        store.close()


def _fetched_from(store: ArtifactStore) -> str | None:
    """The API an artifact was just fetched through, if one was."""
    from merit.fetch import FetchThroughStore

    return store.api_url if isinstance(store, FetchThroughStore) and store.fetched else None


@contextmanager
def _reported() -> Iterator[None]:
    """Expected failures as one line on stderr with the README's exit code, never a traceback: a
    store that does not answer 4, an artifact or file that does not exist 3, an unusable file 2."""
    from dao.artifacts.errors import (
        ArtifactError,
        ArtifactNotFoundError,
        InvalidCarError,
        InvalidCidError,
        StoreUnavailableError,
        UnsupportedCidError,
    )

    try:
        yield
    except StoreUnavailableError as exc:
        _fail(str(exc), 4)
    except ArtifactNotFoundError as exc:
        _fail(str(exc), 3)
    except (InvalidCidError, UnsupportedCidError, InvalidCarError) as exc:
        _fail(str(exc), 2)
    except ArtifactError as exc:
        _fail(str(exc))
    except FileNotFoundError as exc:
        _fail(f"no such file: {exc.filename}", 3)
    except IsADirectoryError as exc:
        _fail(f"is a folder, not a file: {exc.filename}", 2)
    except PermissionError as exc:
        _fail(f"permission denied: {exc.filename}", 2)
    except OSError as exc:
        _fail(str(exc))


def _emit(as_json: bool, payload: dict[str, object], text: str) -> None:
    typer.echo(json.dumps(payload, sort_keys=True) if as_json else text)


@contextmanager
def _output_file(target: Path) -> Iterator[BinaryIO]:
    """Writes `target` through a temporary file beside it, renamed into place only when the
    whole content was written and verified: a failure leaves no partial output."""
    if str(target) == "-":
        yield sys.stdout.buffer
        return
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(2, "No such folder", str(folder))
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@app.command("add")
def add(
    file: Path = typer.Argument(..., help="File to store."),
    pin: bool = typer.Option(True, "--pin/--no-pin", help="Pin the artifact (as ipfs add does)."),
    store_path: Path | None = StoreOption,
    kubo_url: str | None = KuboOption,
    as_json: bool = JsonOption,
) -> None:
    """Store FILE and print its CID."""
    with _reported(), _store(store_path, kubo_url) as store, file.open("rb") as source:
        cid = store.put(source, pin=pin)
        _emit(as_json, {"cid": cid, "file": str(file), "size": file.stat().st_size, "pinned": pin}, cid)


@app.command("cid")
def cid(
    file: Path = typer.Argument(..., help="File whose CID to compute."),
    as_json: bool = JsonOption,
) -> None:
    """Print FILE's CID without storing it (like `ipfs add -n -Q --cid-version=1`)."""
    from dao.artifacts.store import compute_artifact_cid

    with _reported(), file.open("rb") as source:
        value = compute_artifact_cid(source)
        _emit(as_json, {"cid": value, "file": str(file), "size": file.stat().st_size}, value)


@app.command("get")
def get(
    cid_text: str = typer.Argument(..., metavar="CID", help="CID of the artifact."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write (- for stdout)."),
    store_path: Path | None = StoreOption,
    kubo_url: str | None = KuboOption,
    as_json: bool = JsonOption,
    api_url: str | None = ApiOption,
    fetch: bool = FetchOption,
) -> None:
    """Write the artifact's verified content to a file."""
    with _reported(), _store(store_path, kubo_url, api_url if fetch else None) as store:
        written = 0
        pieces = store.iter_content(cid_text)
        with _output_file(output) as handle:
            for piece in pieces:
                handle.write(piece)
                written += len(piece)
        via = _fetched_from(store)
        if via is not None:
            _errors.print(f"fetched {cid_text} from the API at {via} (CID checked), kept in the local store")
        if str(output) != "-":
            payload: dict[str, object] = {"cid": cid_text, "file": str(output), "size": written}
            if via is not None:
                payload["fetched_from"] = via
            _emit(as_json, payload, f"wrote {written} bytes to {output}")


@app.command("stat")
def stat(
    cid_text: str = typer.Argument(..., metavar="CID", help="CID of the artifact."),
    store_path: Path | None = StoreOption,
    kubo_url: str | None = KuboOption,
    as_json: bool = JsonOption,
    api_url: str | None = ApiOption,
    fetch: bool = FetchOption,
) -> None:
    """Show the artifact's size, DAG size and pin state."""
    with _reported(), _store(store_path, kubo_url, api_url if fetch else None) as store:
        info = store.stat(cid_text)
        complete = store.has(info.cid)
        payload = {**asdict(info), "complete": complete}
        text = (
            f"{info.cid}\n  size      {info.size} bytes\n  dag size  {info.dag_size} bytes\n"
            f"  root      {info.root_codec}\n  pinned    {'yes' if info.pinned else 'no'}\n"
            f"  complete  {'yes' if complete else 'no'}"
        )
        _emit(as_json, payload, text)


@app.command("pin")
def pin(
    cid_text: str = typer.Argument(..., metavar="CID", help="CID of the artifact."),
    store_path: Path | None = StoreOption,
    kubo_url: str | None = KuboOption,
) -> None:
    """Pin an artifact the store holds whole."""
    with _reported(), _store(store_path, kubo_url) as store:
        store.pin(cid_text)
        typer.echo(f"pinned {cid_text}")


@app.command("unpin")
def unpin(
    cid_text: str = typer.Argument(..., metavar="CID", help="CID of the artifact."),
    store_path: Path | None = StoreOption,
    kubo_url: str | None = KuboOption,
) -> None:
    """Remove an artifact's pin."""
    with _reported(), _store(store_path, kubo_url) as store:
        store.unpin(cid_text)
        typer.echo(f"unpinned {cid_text}")


@app.command("gc")
def gc(
    grace_seconds: float = typer.Option(3600.0, "--grace-seconds", min=0, help="Keep blocks written this recently."),
    store_path: Path | None = StoreOption,
    as_json: bool = JsonOption,
) -> None:
    """Remove the embedded store's blocks that no pinned artifact reaches."""
    from dao.artifacts.embedded import EmbeddedStore

    with _reported(), _store(store_path, None) as store:
        if not isinstance(store, EmbeddedStore):
            _fail("gc runs on the embedded store; on an IPFS node, run its own `ipfs repo gc`")
        report = store.collect_garbage(grace_seconds=grace_seconds)
        _emit(
            as_json,
            asdict(report),
            f"removed {report.removed_blocks} blocks ({report.removed_bytes} bytes), kept {report.kept_blocks}",
        )


@app.command("export")
def export(
    cid_text: str = typer.Argument(..., metavar="CID", help="CID of the artifact."),
    output: Path = typer.Option(..., "-o", "--output", help="CAR file to write."),
    store_path: Path | None = StoreOption,
    kubo_url: str | None = KuboOption,
    as_json: bool = JsonOption,
    api_url: str | None = ApiOption,
    fetch: bool = FetchOption,
) -> None:
    """Write the artifact's whole DAG as a CARv1 file (for `ipfs dag import` or a pinning service)."""
    with _reported(), _store(store_path, kubo_url, api_url if fetch else None) as store:
        with _output_file(output) as handle:
            written = store.export_car(cid_text, handle)
        _emit(as_json, {"cid": cid_text, "file": str(output), "size": written}, f"wrote {written} bytes to {output}")


@app.command("import")
def import_(
    car_file: Path = typer.Argument(..., metavar="FILE.car", help="CARv1 file to import."),
    pin: bool = typer.Option(True, "--pin/--no-pin", help="Pin the CAR's roots."),
    store_path: Path | None = StoreOption,
    kubo_url: str | None = KuboOption,
    as_json: bool = JsonOption,
) -> None:
    """Store every block of a CARv1 file and print its root CIDs; a bad CAR stores nothing."""
    with _reported(), _store(store_path, kubo_url) as store, car_file.open("rb") as source:
        roots = store.import_car(source, pin=pin)
        _emit(as_json, {"roots": roots, "file": str(car_file), "pinned": pin}, "\n".join(roots))
