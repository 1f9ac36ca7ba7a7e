"""Use cases: each changes the state and writes its access event in one transaction."""
