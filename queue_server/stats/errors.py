"""The one error the statistics raise: a request that cannot be answered as asked."""

from __future__ import annotations


class StatsError(Exception):
    """A statistics request is malformed or its database unusable; the message says why.

    The server turns it into an error reply; the command line prints it.
    """
