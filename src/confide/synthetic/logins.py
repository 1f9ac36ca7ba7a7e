"""Sign-in accounts for the demonstration practice: one per role, with made-up passwords.

The passwords and TOTP secrets are generated for each data directory and kept beside it in
``demo-logins.json`` (owner-only), so ``confide serve`` can print them and ``confide demo-code``
can show the current code. They are demonstration accounts over synthetic data: a real
practice makes accounts with ``confide accounts create`` and never has such a file.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

import pyotp

from confide.domain import Role
from confide.services import accounts
from confide.services.deps import Deps
from confide.synthetic.seed import OFFICER, WALKTHROUGH_CLIENT

LOGINS_FILE = "demo-logins.json"

# Who signs in to the demonstration practice, and as what.
DEMO_PEOPLE: tuple[tuple[str, Role, str], ...] = (
    ("clin-a", Role.CLINICIAN, "a clinician; treats client-demo-001"),
    ("super-001", Role.SUPERVISOR, "a supervisor; approves exception disclosures"),
    (OFFICER, Role.PRIVACY_OFFICER, "the privacy officer"),
    ("privacy-002", Role.PRIVACY_OFFICER, "a second privacy officer"),
    ("desk-001", Role.STAFF, "front desk staff"),
    ("admin-001", Role.ADMINISTRATOR, "an administrator (no clinical access)"),
    ("north-clin", Role.CLINICIAN, "a clinician of another practice"),
    (WALKTHROUGH_CLIENT, Role.CLIENT, "a client"),
)

# Made-up words for made-up passwords (long enough that each password is strong).
_WORDS = (
    "amber", "birch", "canal", "delta", "ember", "fjord", "grove", "harbor", "island", "juniper",
    "kettle", "lantern", "meadow", "nectar", "orchid", "pebble", "quartz", "ribbon", "saffron",
    "thistle", "umber", "velvet", "willow", "yonder", "zephyr", "cobalt", "dune", "falcon",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """One demonstration account."""

    name: str
    role: str
    who: str
    password: str
    totp_secret: str | None

    def current_code(self) -> str | None:
        """The authenticator's code right now (None for an account without a second factor)."""
        return None if self.totp_secret is None else pyotp.TOTP(self.totp_secret).now()


def seed_logins(deps: Deps, data_dir: Path) -> list[DemoLogin]:
    """Make the demonstration accounts (first run only) and return them."""
    existing = load_logins(data_dir)
    if existing:
        return existing
    logins = []
    for name, role, who in DEMO_PEOPLE:
        password = "-".join(secrets.choice(_WORDS) for _ in range(4)) + str(
            secrets.randbelow(90) + 10
        )
        made = accounts.create_account(deps, name, password, by=accounts.OPERATOR, as_operator=True)
        logins.append(DemoLogin(name, role.value, who, password, made.totp_secret))
    path = data_dir / LOGINS_FILE
    path.touch(mode=0o600)
    path.write_text(json.dumps([asdict(login) for login in logins], indent=2))
    return logins


def load_logins(data_dir: Path) -> list[DemoLogin]:
    """The demonstration accounts of this data directory ([] if it has none)."""
    path = data_dir / LOGINS_FILE
    if not path.exists():
        return []
    return [DemoLogin(**item) for item in json.loads(path.read_text())]
