"""A whole Rinda lobby on one machine, driven by a simulated morning (``python -m demo``)."""
