"""``python -m bench crash``: writers killed with SIGKILL, then every acknowledged write checked."""
