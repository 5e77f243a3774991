"""`studyforge documents reprocess`: extract documents again (after an extractor upgrade)."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="Manage uploaded documents.", no_args_is_help=True)


@app.command()
def reprocess(
    all_users: Annotated[bool, typer.Option("--all", help="Every user's documents")] = False,
    user: Annotated[str | None, typer.Option(help="Only this user's documents")] = None,
) -> None:
    """Queue every document (of one user, or of all with --all) for processing again."""
    from sqlalchemy import select

    from studyforge.auth.models import User
    from studyforge.cli import _settings
    from studyforge.documents.models import Document
    from studyforge.documents.service import AlreadyProcessing
    from studyforge.documents.service import reprocess as requeue
    from studyforge.platform import build_platform

    if all_users == (user is not None):
        typer.echo("error: give either --all or --user NAME", err=True)
        raise typer.Exit(2)
    platform = build_platform(_settings(), role="client")
    queued = busy = 0
    try:
        with platform.sessions.begin() as session:
            stmt = select(Document).order_by(Document.created_at)
            if user is not None:
                user_id = session.scalar(select(User.id).where(User.username == user))
                if user_id is None:
                    typer.echo(f"error: no user {user!r}", err=True)
                    raise typer.Exit(1)
                stmt = stmt.where(Document.user_id == user_id)
            for doc in session.scalars(stmt):
                try:
                    requeue(session, doc)
                    queued += 1
                except AlreadyProcessing:
                    busy += 1
    finally:
        platform.close()
    typer.echo(f"queued {queued} documents for processing ({busy} already in progress)")
