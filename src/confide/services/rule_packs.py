"""Loading rule packs (decision 0013): the shipped ones by id, a practice's own by path.

``CONFIDE_RULE_PACK`` names the pack a deployment uses: an installed id (``us-federal``,
``us-ca``, ``us-tx``) or the path of a ``.toml`` file that extends one of them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from confide.policy.rule_packs import RulePack, RulePackError, parse_pack

DEFAULT_PACK = "us-federal"


def installed_packs() -> list[str]:
    """The ids of the packs shipped with confide."""
    folder = resources.files("confide") / "rules"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


class PackNotInstalled(RulePackError, LookupError):
    """No shipped pack has that id."""


def installed_pack(pack_id: str) -> RulePack:
    """A shipped pack by id, validated (and the packs it extends)."""
    try:
        return _installed(pack_id)
    except PackNotInstalled:
        raise
    except LookupError:
        raise PackNotInstalled(
            "CONFIDE_RULE_PACK", f"no rule pack {pack_id!r} is installed", installed_packs()
        ) from None


@cache
def _installed(pack_id: str) -> RulePack:
    """A shipped pack; LookupError when there is none of that id (a pack's ``extends`` names
    the key when it says so)."""
    if pack_id not in installed_packs():
        raise LookupError(pack_id)
    text = (resources.files("confide") / "rules" / f"{pack_id}.toml").read_text("utf-8")
    return parse_pack(text, f"{pack_id}.toml", _installed)


def load_rule_pack(name_or_path: str) -> RulePack:
    """An installed pack by id, or a practice's own pack file."""
    if not name_or_path.endswith(".toml"):
        return installed_pack(name_or_path)
    path = Path(name_or_path)
    try:
        text = path.read_text("utf-8")
    except OSError as e:
        raise RulePackError(
            "CONFIDE_RULE_PACK", f"cannot read {path.name}: {e.strerror or 'unreadable'}"
        ) from None
    except UnicodeDecodeError:
        raise RulePackError(
            "CONFIDE_RULE_PACK", f"cannot read {path.name}: it is not UTF-8 text"
        ) from None
    return parse_pack(text, path.name, _installed)
