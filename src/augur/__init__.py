"""augur: the small-model brain of a proactive assistant."""

__version__ = "0.1.0"
