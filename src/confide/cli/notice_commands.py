"""``confide notice``: the limits-of-confidentiality notice a client reads and acknowledges."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel

from confide.cli.options import AS, moment, opened_deps
from confide.domain import InvalidValue, NoticeVersion
from confide.services import practice
from confide.services.notice import default_notice_text, notice_status

notice_app = typer.Typer(
    help="The limits-of-confidentiality notice: show, acknowledge, publish.", no_args_is_help=True
)


@notice_app.command("show")
def show_command(
    client: Annotated[str, typer.Argument(help="The client's id.")], by: Annotated[str, AS]
) -> None:
    """The notice in force, and whether the client still has to acknowledge it."""
    status = notice_status(opened_deps(), client, by=by)
    console = Console()
    version = "confide's default" if status.current is None else status.current.version
    # nosemgrep: confide.clinical-field-logged - the practice's public notice
    console.print(Panel(Markdown(status.text), title=f"Notice ({version})", expand=False))
    if status.current is None:
        console.print("The practice has not published a notice yet.")
    elif status.needs_acknowledgment:
        earlier = ", ".join(status.acknowledged) or "none"
        console.print(
            f"[bold yellow]{client} has not acknowledged {status.current.version}[/] "
            f"(acknowledged before: {earlier}). Ask them to read it and run: confide notice "
            f"acknowledge {client} --as {client}",
            highlight=False,
        )
    else:
        console.print(f"{client} acknowledged {status.current.version}.", highlight=False)


@notice_app.command("acknowledge")
def acknowledge_command(
    client: Annotated[str, typer.Argument(help="The client's id.")],
    by: Annotated[str, AS],
    version: Annotated[str | None, typer.Option(help="The version (default: current).")] = None,
) -> None:
    """Record the client's acknowledgment (by the client, or staff from a signed form)."""
    deps = opened_deps()
    if version is None:
        current = notice_status(deps, client, by=by).current
        if current is None:
            raise InvalidValue("version", "no notice is published yet; publish one first")
        version = current.version
    practice.acknowledge_notice(deps, client, version, by=by)
    Console().print(f"Recorded: {client} acknowledged {version}.", highlight=False)


@notice_app.command("publish")
def publish_command(
    version: Annotated[str, typer.Argument(help="The new version's id, e.g. notice-2027.")],
    by: Annotated[str, AS],
    effective_from: Annotated[
        str | None, typer.Option(help="When it takes effect (ISO 8601; default now).")
    ] = None,
    text_file: Annotated[
        Path | None, typer.Option(help="Its text (Markdown); default: confide's plain text.")
    ] = None,
) -> None:
    """Publish a new version; every client is then asked to acknowledge it."""
    start = (
        moment(effective_from, "--effective-from", "a date and time like 2027-01-01T00:00+00:00")
        if effective_from
        else datetime.now(UTC)
    )
    try:
        text = default_notice_text() if text_file is None else text_file.read_text("utf-8")
    except OSError as e:
        raise InvalidValue("--text-file", f"cannot read it: {e.strerror}") from None
    practice.publish_notice(opened_deps(), NoticeVersion(version, start, text), by=by)
    Console().print(f"Published {version}, in effect from {start:%Y-%m-%d %H:%M} UTC.")
