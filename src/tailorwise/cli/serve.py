"""``tailorwise serve``: the HTTP API behind uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailorwise.cli.common import DbOption, store_url, user_errors
from tailorwise.store.models import DEFAULT_MODEL_DIR


def serve_command(
    db: DbOption = None,
    model_dir: Annotated[
        Path, typer.Option(help="Models folder: the server serves its latest model")
    ] = DEFAULT_MODEL_DIR,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    allow_anonymous: Annotated[
        bool,
        typer.Option(
            "--allow-anonymous",
            help="Answer reads without an API key [env: TAILORWISE_ALLOW_ANONYMOUS=1]",
            metavar="",
        ),
    ] = False,
) -> None:
    """Serve recommendations over HTTP; posted events change the next answer.
    API keys come from TAILORWISE_API_KEYS (key1:read,key2:read+write); docs at /docs."""
    with user_errors():
        try:
            import uvicorn

            from tailorwise.api import ServeSettings, create_app
        except ImportError as exc:
            raise typer.BadParameter(
                f"the server needs the 'serve' extra: pip install 'tailorwise[serve]' ({exc})"
            ) from exc
        settings = ServeSettings.from_env(store_url(db), model_dir, allow_anonymous)
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
