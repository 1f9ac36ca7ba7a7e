"""The ``confide`` command: ``confide --version``, ``confide demo``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from confide import __version__
from confide.cli.audit_commands import audit_app
from confide.cli.backup_commands import backup_command, restore_command
from confide.cli.disclose_commands import disclose_app
from confide.cli.history_commands import history_command, suspend_command
from confide.cli.notice_commands import notice_app
from confide.cli.render import decision_as_dict, render_scene, render_store_scenes
from confide.cli.serve_commands import accounts_app, demo_code_command, serve_command
from confide.domain import ConfideError
from confide.policy import decide
from confide.services.keys import rotate_keys
from confide.services.setup import initialise, open_existing
from confide.store.settings import StoreSettings
from confide.synthetic.logins import seed_logins
from confide.synthetic.seed import run_store_scenes, seed_practice
from confide.synthetic.story import story_facts, story_scenes

app = typer.Typer(
    name="confide",
    help="Keeps what clients tell their therapists confidential.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(help="Manage the key-encryption keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(disclose_app, name="disclose")
app.add_typer(notice_app, name="notice")
app.add_typer(accounts_app, name="accounts")
app.command("serve")(serve_command)
app.command("demo-code")(demo_code_command)
app.command("history")(history_command)
app.command("suspend-accounting")(suspend_command)
app.command("backup")(backup_command)
app.command("restore")(restore_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"confide {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Keeps what clients tell their therapists confidential."""


@app.command()
def init() -> None:
    """Create the data directory, its key file and its database (CONFIDE_DATA_DIR)."""
    opened = initialise(StoreSettings.from_environment(os.environ))
    console = Console()
    console.print(f"Data directory: {opened.settings.data_dir}")
    if opened.created_key:
        console.print(
            f"[bold yellow]A new key file was created at {opened.settings.key_file}.[/] "
            "Back it up apart from the database: without it no record can be read."
        )
    console.print("The database schema is up to date.")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-wrap every client's data key under a new key-encryption key (resumes if cut short)."""
    settings = StoreSettings.from_environment(os.environ)
    opened = open_existing(settings)
    with Progress(
        TextColumn("re-wrapping data keys"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    ) as bar:
        task = bar.add_task("rotate", total=None)
        report = rotate_keys(
            opened.deps.engine,
            settings.key_file,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    verb = "Finished an interrupted rotation" if report.resumed else "Rotated"
    Console().print(
        f"{verb}: {report.rewrapped} data keys now wrapped by {report.active_kek_id}. "
        "Records were not re-encrypted. Back up the key file again."
    )


@app.command()
def demo(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the rule walk-through as JSON lines instead.")
    ] = False,
    seed: Annotated[
        int, typer.Option(help="Seed of the synthetic practice: the same seed, the same practice.")
    ] = 7,
    clients: Annotated[
        int, typer.Option(min=1, max=100_000, help="How many synthetic clients to admit.")
    ] = 40,
    notes_per_client: Annotated[
        int, typer.Option(min=0, max=1_000, help="Synthetic notes written for each client.")
    ] = 3,
) -> None:
    """A synthetic practice: stored, sealed and decided, then every rule walked through.

    The first run in a data directory stores the generated practice; later runs reuse it.
    """
    facts = story_facts()
    scenes = story_scenes()
    if as_json:
        for scene in scenes:
            print(
                json.dumps({"scene": scene.title, **decision_as_dict(decide(scene.request, facts))})
            )
        return
    console = Console()
    opened = initialise(StoreSettings.from_environment(os.environ))
    with console.status("Storing the synthetic practice (first run only)…"):
        seeded = seed_practice(
            opened.deps, seed=seed, clients=clients, notes_per_client=notes_per_client
        )
        if seeded is not None:  # only for the practice this run made: never for real people
            seed_logins(opened.deps, opened.settings.data_dir)
    console.rule("[bold]confide[/] — who may see what, and why")
    engine = "SQLite" if opened.settings.is_sqlite else "PostgreSQL"
    if seeded is None:
        console.print(
            f"The synthetic practice already in {opened.settings.data_dir} ({engine}). "
            "Every id is made up.\n"
        )
    else:
        console.print(
            f"A synthetic practice (seed {seed}) stored in {opened.settings.data_dir} ({engine}): "
            f"{seeded.clients} clients, {seeded.consents} consents, {seeded.notes} notes, each "
            "sealed with its client's own key. Every id is made up.\n"
        )
    render_store_scenes(console, run_store_scenes(opened.deps))
    console.print(
        "\nEvery rule, one question at a time: the same decision engine on a small practice "
        "that also uses the limits of confidentiality.\n"
    )
    for number, scene in enumerate(scenes, start=1):
        render_scene(console, number, scene, decide(scene.request, facts))
    console.print(
        "[dim]Every decision above came from one pure function, confide.policy.decide, "
        "with no database and no clock.[/]"
    )
    command = _command_name()
    console.print(
        "\nNext: the limits of confidentiality on the stored practice, e.g. "
        f"[bold]{command} disclose rules[/] and [bold]{command} notice show client-demo-001 "
        "--as client-demo-001[/]; docs/privacy-officer-guide.md walks through each workflow.",
        highlight=False,
    )
    console.print(
        f"Then [bold]{command} serve[/] serves the web application and the HTTP API on "
        "http://127.0.0.1:8000 and prints the demonstration accounts to sign in with.",
        highlight=False,
    )


def _command_name() -> str:
    """How the person ran confide (e.g. .venv/bin/confide), so the hint can be pasted."""
    invoked = Path(sys.argv[0])
    if invoked.name != "confide":
        return "confide"
    try:
        return str(invoked.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(invoked)


def main() -> None:
    """Run the command; errors become a message, never a traceback (unless CONFIDE_DEBUG=1)."""
    try:
        app()
    except ConfideError as error:
        Console(stderr=True).print(f"[red]error:[/] {error}")
        raise SystemExit(2) from None
    except Exception as error:
        if os.environ.get("CONFIDE_DEBUG") == "1":
            raise
        # No client data in the message: only the kind of failure.
        Console(stderr=True).print(
            f"[red]error:[/] confide stopped on an unexpected {type(error).__name__}; "
            "nothing was half-written. Run again with CONFIDE_DEBUG=1 for the details."
        )
        raise SystemExit(1) from None
