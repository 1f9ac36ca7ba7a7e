"""The ``confide`` command line (typer + rich): a thin shell over the core."""
