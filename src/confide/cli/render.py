"""How the command line shows a decision: a panel for people, a dict for JSON."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from confide.domain import Decision, Effect
from confide.synthetic.seed import StoreScene
from confide.synthetic.story import Scene


def decision_as_dict(decision: Decision) -> dict[str, Any]:
    """A decision as plain JSON-ready values: codes, ids and reasons."""
    return {
        "effect": decision.effect.value,
        "rule": decision.rule_id.value,
        "permitted": sorted(c.value for c in decision.permitted),
        "denied": sorted(c.value for c in decision.denied),
        "outcomes": [
            {
                "category": o.category.value,
                "effect": o.effect.value,
                "rule": o.rule_id.value,
                "reason": o.reason,
                "cites": list(o.cites),
            }
            for o in decision.outcomes
        ],
        "obligations": [{"kind": o.kind.value, "text": o.text} for o in decision.obligations],
    }


def render_scene(console: Console, number: int, scene: Scene, decision: Decision) -> None:
    """Print one scene: who asked for what, the decision per category, why, and the duties."""
    r = scene.request
    table = Table(show_header=True, header_style="bold", box=None, expand=True, padding=(0, 1))
    table.add_column("category", no_wrap=True)
    table.add_column("decision", no_wrap=True)
    table.add_column("why")
    for o in decision.outcomes:
        mark = "[green]permit[/]" if o.effect is Effect.PERMIT else "[red]deny[/]"
        table.add_row(o.category.label, mark, f"{o.reason}\n[dim]rule {o.rule_id.value}[/]")
    duties = "\n".join(f"• {o.text}" for o in decision.obligations)
    ask = (
        f"[bold]{scene.asker}[/] asks to {r.action.value} "
        f"{', '.join(sorted(c.value for c in r.categories))} of [bold]{r.client_id}[/] "
        f"for {r.purpose.label} ({r.purpose.value}) at {r.at:%Y-%m-%d %H:%M} UTC"
    )
    body = Table.grid(padding=(0, 0))
    body.add_row(ask)
    body.add_row("")
    body.add_row(table)
    if duties:
        body.add_row("")
        body.add_row(f"[bold]Obligations[/]\n{duties}")
    colour = "green" if decision.effect is Effect.PERMIT else "red"
    verdict = "PERMIT" if decision.effect is Effect.PERMIT else "DENY"
    if decision.is_permit and decision.denied:
        verdict, colour = "PERMIT, PARTLY", "yellow"
    console.print(
        Panel(
            body,
            title=f"{number}. {scene.title}",
            subtitle=f"[{colour}]{verdict}[/]",
            title_align="left",
            subtitle_align="right",
            border_style=colour,
        )
    )


def render_store_scenes(console: Console, scenes: list[StoreScene]) -> None:
    """The store-backed part of the demo as one table."""
    table = Table(
        title="On the store: sealed, decided, logged",
        title_justify="left",
        header_style="bold",
        expand=True,
    )
    table.add_column("who")
    table.add_column("does")
    table.add_column("result", no_wrap=True)
    table.add_column("detail")
    for s in scenes:
        colour = "red" if s.outcome == "refused" else "green"
        table.add_row(s.who, s.did, f"[{colour}]{s.outcome}[/]", s.detail)
    console.print(table)
