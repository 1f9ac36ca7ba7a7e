"""``confide audit …``: checkpoint, verify, and export what a third party needs to verify."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from confide.audit.signing import SigningKeyUnavailable, VerifyKey, load_signing_key_file
from confide.services import audit
from confide.services.setup import open_existing
from confide.store.settings import StoreSettings

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("checkpoint")
def checkpoint_command() -> None:
    """Sign a checkpoint committing to every chain head now."""
    settings = StoreSettings.from_environment(os.environ)
    opened = open_existing(settings)
    try:
        key = load_signing_key_file(settings.audit_key_file)
    except SigningKeyUnavailable:
        # Never silently: the failure is itself a security event on the system chain.
        audit.log_security_event(
            opened.deps.engine,
            opened.deps.clock,
            rule="security.audit_signing_key_missing",
            actor_id="operator",
        )
        raise
    signed = audit.checkpoint(opened.deps.engine, key, opened.deps.clock)
    console = Console()
    if signed is None:
        console.print("No chain moved since the last checkpoint; nothing new to sign.")
        return
    console.print(
        f"Checkpoint signed: {signed.size} chain heads, root {signed.root.hex()[:16]}…, "
        f"key {signed.key_id}, at {signed.issued_at:%Y-%m-%d %H:%M:%S} UTC."
    )


@audit_app.command("verify")
def verify_command(
    public_key: Annotated[
        str | None,
        typer.Option(
            help="The log's public key (from `confide audit public-key`); default: this data "
            "directory's signing key."
        ),
    ] = None,
) -> None:
    """Check every chain and checkpoint; name the first broken entry and how it broke."""
    settings = StoreSettings.from_environment(os.environ)
    opened = open_existing(settings)
    key = _verify_key(public_key, settings)
    with Progress(
        TextColumn("verifying audit entries"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as bar:
        task = bar.add_task("verify", total=None)
        report = audit.verify_log(
            opened.deps.engine,
            key,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    console = Console()
    if report.state == "not_migrated":
        console.print("[red]The audit log's tables are missing:[/] run `confide init` first.")
        raise typer.Exit(2)
    if report.state == "empty":
        console.print("The audit log is empty: nothing has been recorded yet.")
        return
    console.print(
        f"Checked {report.entries} entries in {report.chains} chains and "
        f"{report.checkpoints} signed checkpoints."
    )
    for problem in report.checkpoint_problems:
        console.print(f"[yellow]checkpoint:[/] {problem}")
    for broken in report.breaks:
        console.print(f"[red]broken:[/] {broken.describe()}")
    console.print(
        f"Entries are kept at least {settings.audit_retention_years} years "
        "(CONFIDE_AUDIT_RETENTION_YEARS); confide never deletes them."
    )
    if not report.intact:
        raise typer.Exit(1)
    console.print("[green]Intact:[/] every chain links, every checkpoint is signed and holds.")


@audit_app.command("public-key")
def public_key_command() -> None:
    """Print the public key a third party needs to verify checkpoints."""
    settings = StoreSettings.from_environment(os.environ)
    print(load_signing_key_file(settings.audit_key_file).public_key.to_text())


@audit_app.command("export-checkpoint")
def export_checkpoint_command() -> None:
    """Print the latest signed checkpoint as JSON, for a third party to keep and verify."""
    settings = StoreSettings.from_environment(os.environ)
    opened = open_existing(settings)
    signed = audit.latest_checkpoint(opened.deps.engine)
    if signed is None:
        Console(stderr=True).print("No checkpoint yet: run `confide audit checkpoint`.")
        raise typer.Exit(2)
    print(signed.to_json())


def _verify_key(text: str | None, settings: StoreSettings) -> VerifyKey | None:
    if text is not None:
        return VerifyKey.from_text(text)
    if settings.audit_key_file.exists():
        return load_signing_key_file(settings.audit_key_file).public_key
    return None
