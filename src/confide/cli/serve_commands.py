"""``confide serve``: the web application and the HTTP API (and its docs) on this machine;
``confide accounts``; ``confide demo-code``."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI
from rich.console import Console

from confide.api.app import create_app, csrf_secret_file
from confide.audit.signing import VerifyKey, load_signing_key_file
from confide.domain import InvalidValue
from confide.services import accounts
from confide.services.enrolment import issue_enrolment
from confide.services.errors import NotFoundOrDenied
from confide.services.setup import open_existing
from confide.store.settings import StoreSettings
from confide.synthetic.logins import DemoLogin, load_logins

accounts_app = typer.Typer(help="Sign-in accounts for people on file.", no_args_is_help=True)


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the web application, the HTTP API (with its documentation) and the FHIR facade."""
    settings = StoreSettings.from_environment(os.environ)
    console = Console()
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(
            "[yellow]Listening beyond this machine: put confide behind a TLS-terminating proxy; "
            "its cookies are Secure and will not be sent over plain HTTP to another host.[/]"
        )
    address = f"http://{'127.0.0.1' if host == '127.0.0.1' else host}:{port}"
    console.print(f"confide is serving {settings.data_dir}")
    console.print(f"  Open in a browser:  [bold]{address}[/]  (sign in with an account below)")
    console.print(f"  API documentation:  {address}/docs     FHIR: {address}/fhir/metadata")
    logins = load_logins(settings.data_dir)
    if logins:
        _print_logins(console, logins)
    os.environ.setdefault("CONFIDE_DATA_DIR", str(settings.data_dir))
    if workers == 1:
        app = build_app()
        # No access log: its lines would name client ids and categories outside the audit log.
        uvicorn.run(
            app, host=host, port=port, server_header=False, log_level="info", access_log=False
        )
    else:
        uvicorn.run(
            "confide.cli.serve_commands:build_app", factory=True, host=host, port=port,
            workers=workers, server_header=False, log_level="warning", access_log=False,
        )  # fmt: skip


def build_app() -> FastAPI:
    """The application over the data directory the environment names (one per worker)."""
    settings = StoreSettings.from_environment(os.environ)
    opened = open_existing(settings)

    def verify_key() -> VerifyKey:
        # Read when the audit log's status is asked for: a missing or unreadable signing key
        # fails that request with a security event, and a restored one works at once.
        return load_signing_key_file(settings.audit_key_file).public_key

    return create_app(
        opened.deps, verify_key=verify_key, csrf_secret=csrf_secret_file(settings.data_dir)
    )


def _print_logins(console: Console, logins: list[DemoLogin]) -> None:
    # Plain lines, not a table: a narrow terminal wraps a line but never cuts a password.
    console.print("\n[bold]Demonstration accounts[/] (synthetic practice only):")
    for login in logins:
        console.print(f"  {login.name:<17} {login.password:<34} {login.who}", highlight=False)
    console.print(
        "Practice roles also need the authenticator's code: [bold]confide demo-code NAME[/] "
        "prints it (for these demonstration accounts only).\n"
    )


def demo_code_command(
    name: Annotated[str, typer.Argument(help="A demonstration account's name, e.g. clin-a.")],
) -> None:
    """Print the current authenticator code of a demonstration account."""
    settings = StoreSettings.from_environment(os.environ)
    login = next((x for x in load_logins(settings.data_dir) if x.name == name), None)
    if login is None:
        raise InvalidValue("name", "not a demonstration account of this data directory")
    code = login.current_code()
    print(code if code is not None else f"{name} signs in without a code")


@accounts_app.command("create")
def create_account_command(
    actor_id: Annotated[str, typer.Argument(help="The person on file, e.g. clin-007.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Give a person on file a password and, for practice roles, an authenticator secret."""
    opened = open_existing(StoreSettings.from_environment(os.environ))
    made = accounts.create_account(
        opened.deps, actor_id, password, by=accounts.OPERATOR, as_operator=True
    )
    console = Console()
    console.print(f"Account made for {made.actor_id}.")
    if made.totp_uri is not None:
        console.print(
            "Give them this authenticator secret in person (shown once):\n"
            f"  secret: {made.totp_secret}\n  uri:    {made.totp_uri}"
        )


@accounts_app.command("enrol")
def enrol_command(
    actor_id: Annotated[str, typer.Argument(help="The person on file, e.g. clin-007.")],
) -> None:
    """Issue a one-time enrolment code: the person sets their own password and authenticator
    at /enrol with it (for an account that exists, it replaces both)."""
    opened = open_existing(StoreSettings.from_environment(os.environ))
    try:
        issued = issue_enrolment(opened.deps, actor_id, by=accounts.OPERATOR, as_operator=True)
    except NotFoundOrDenied:
        Console(stderr=True).print(f"[red]No one with the id {actor_id!r} is on file.[/]")
        raise typer.Exit(1) from None
    console = Console()
    console.print(
        f"Enrolment code for {issued.actor_id} (shown once; works once, until "
        f"{issued.expires_at:%Y-%m-%d %H:%M} UTC):\n  {issued.code}\n"
        "Give it to them in person; they open /enrol on confide's address.",
        highlight=False,
    )
