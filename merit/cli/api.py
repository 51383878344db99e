"""`merit api serve`: the explorer API (FastAPI under uvicorn), configured by MERIT_API_* settings."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    help="The explorer API: indexed chain state, artifacts and the submission relay over HTTP.", no_args_is_help=True
)
_errors = Console(stderr=True, highlight=False, soft_wrap=True)


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    index: bool = typer.Option(
        None, "--index/--no-index", help="Run the indexer in this process [default: MERIT_API_RUN_INDEXER]."
    ),
) -> None:
    """Serve the API; OpenAPI JSON at /openapi.json, docs at /docs."""
    import uvicorn
    from pydantic import ValidationError

    from api.main import create_app
    from api.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        _errors.print(f"error: setting {'.'.join(str(p) for p in first['loc'])}: {first['msg']}", markup=False)
        raise typer.Exit(2) from None
    if index is not None:
        settings = settings.model_copy(update={"run_indexer": index})
    if settings.run_indexer:
        from dao.deployments import load_deployment

        try:
            load_deployment(settings.deployment)
        except (FileNotFoundError, ValueError) as exc:  # exit 3 for a missing manifest, 2 for a bad one
            _errors.print(f"error: the indexer cannot start: {exc}", markup=False)
            raise typer.Exit(3 if isinstance(exc, FileNotFoundError) else 2) from None
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)
