"""A practice's own rule pack (``CONFIDE_RULE_PACK=/path/to/pack.toml``, docs/rule-packs.md).

The bytes are the file's content, read by ``load_rule_pack`` exactly as a deployment reads
it (through a real file), then parsed and validated by ``parse_pack``, extending the shipped
packs. Property: a pack is returned, or ``RulePackError`` names what is wrong; nothing else
escapes, and every ground an accepted pack lists cites one of its sources.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["confide"]):
    from confide.policy.rule_packs import RulePackError
    from confide.services.rule_packs import load_rule_pack

from fuzz.harness import run

_FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-rule-pack-"))
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)
PACK = _FOLDER / "practice.toml"


def test_one_input(data: bytes) -> None:
    """One pack file."""
    PACK.write_bytes(data)
    try:
        pack = load_rule_pack(str(PACK))
    except RulePackError:
        return
    cites = {s.cite for s in pack.sources}
    for rule in pack.grounds.values():
        if rule.cite not in cites:
            raise AssertionError("an accepted pack cites a source it does not list")


if __name__ == "__main__":
    run(test_one_input)
