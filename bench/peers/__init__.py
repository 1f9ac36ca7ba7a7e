"""The same access rules written for other policy engines, to compare confide against.

Each peer builds its policies and data once from a practice, translates an
:class:`~confide.domain.AccessRequest` into its own request form ahead of timing, and answers
only which requested categories it permits: no reasons and no obligations, which confide also
produces on every decision.
"""

from bench.peers.base import Peer

__all__ = ["Peer"]
