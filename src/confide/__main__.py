"""``python -m confide`` is the ``confide`` command."""

from confide.cli.app import main

main()
