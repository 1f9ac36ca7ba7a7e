"""The ``confide`` command: ``confide --version``, ``confide demo``."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from confide import __version__
from confide.cli.render import decision_as_dict, render_scene
from confide.domain import ConfideError
from confide.policy import decide
from confide.synthetic.story import story_facts, story_scenes

app = typer.Typer(
    name="confide",
    help="Keeps what clients tell their therapists confidential.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
def demo(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the decisions as JSON lines instead.")
    ] = False,
) -> None:
    """Walk through the access rules on a synthetic practice: what was decided, and why."""
    facts = story_facts()
    scenes = story_scenes()
    if as_json:
        for scene in scenes:
            print(
                json.dumps({"scene": scene.title, **decision_as_dict(decide(scene.request, facts))})
            )
        return
    console = Console()
    console.rule("[bold]confide[/] — who may see what, and why")
    console.print(
        "A synthetic practice: two clients, their therapists, the front desk, an outside "
        "clinic, an employer's programme, the police, a court and a parent. Every id is made "
        "up.\n"
    )
    for number, scene in enumerate(scenes, start=1):
        render_scene(console, number, scene, decide(scene.request, facts))
    console.print(
        "[dim]Every decision above came from one pure function, confide.policy.decide, "
        "with no database and no clock.[/]"
    )


def main() -> None:
    """Run the command, turning confide's own errors into a message instead of a traceback."""
    try:
        app()
    except ConfideError as error:
        Console(stderr=True).print(f"[red]error:[/] {error}")
        raise SystemExit(2) from None
