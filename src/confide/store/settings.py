"""Where confide keeps its data: one data directory and one database URL.

``CONFIDE_DATA_DIR`` (default ``./confide-data``) holds the SQLite database and the key file.
``CONFIDE_DATABASE_URL`` overrides the database: ``postgresql+psycopg://user@host/db`` in
production. The key file never goes into the database, whatever the URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from confide.domain.errors import InvalidValue

DEFAULT_DATA_DIR = "confide-data"
_SCHEMES = ("sqlite", "postgresql")


MIN_AUDIT_RETENTION_YEARS = 6


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """The data directory, the database URL and the key file's path."""

    data_dir: Path
    database_url: str
    # How long audit entries must be kept. confide never deletes them; past this, an operator
    # may archive them offline. HIPAA keeps required documentation six years (45 CFR
    # 164.316(b)(2)(i)) and the accounting of disclosures covers six years (164.528(a)(1)).
    audit_retention_years: int = MIN_AUDIT_RETENTION_YEARS
    # PostgreSQL: the role the application acts as (migrations run as the login user).
    database_role: str | None = None
    # The jurisdiction's rule pack for the limits of confidentiality (decision 0013): an
    # installed id or the path of a practice's own .toml file.
    rule_pack: str = "us-federal"

    @property
    def key_file(self) -> Path:
        """The key file, beside the data and outside the database."""
        return self.data_dir / "confide.key"

    @property
    def audit_key_file(self) -> Path:
        """The audit log's Ed25519 signing key, outside the database too."""
        return self.data_dir / "audit-signing.key"

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded default."""
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> StoreSettings:
        """Read ``CONFIDE_DATA_DIR`` and ``CONFIDE_DATABASE_URL``."""
        data_dir = Path(environ.get("CONFIDE_DATA_DIR", DEFAULT_DATA_DIR)).resolve()
        url = environ.get("CONFIDE_DATABASE_URL") or f"sqlite:///{data_dir / 'confide.db'}"
        if not url.startswith(_SCHEMES):
            raise InvalidValue(
                "CONFIDE_DATABASE_URL",
                "must be a sqlite:/// or postgresql+psycopg:// URL",
                allowed=_SCHEMES,
            )
        role = environ.get("CONFIDE_DATABASE_ROLE") or None
        if role is not None and not role.replace("_", "").isalnum():
            raise InvalidValue(
                "CONFIDE_DATABASE_ROLE", "must be a role name: letters, digits and underscores"
            )
        rule_pack = environ.get("CONFIDE_RULE_PACK") or "us-federal"
        return cls(data_dir, url, _retention_years(environ), role, rule_pack)


def _retention_years(environ: Mapping[str, str]) -> int:
    text = environ.get("CONFIDE_AUDIT_RETENTION_YEARS", str(MIN_AUDIT_RETENTION_YEARS))
    if not text.isdigit() or int(text) < MIN_AUDIT_RETENTION_YEARS:
        raise InvalidValue(
            "CONFIDE_AUDIT_RETENTION_YEARS",
            f"must be a whole number of years, at least {MIN_AUDIT_RETENTION_YEARS} (HIPAA's six "
            "years)",
        )
    return int(text)
