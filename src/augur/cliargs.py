"""Argument types shared by every `augur` subcommand's parser (one place, so every
command words a bad value the same way)."""

from __future__ import annotations

import argparse


def positive_int(name: str, minimum: int = 1):
    """An argparse type: an integer >= minimum (1: positive), else an error naming the
    flag and the value."""
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be {what}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be {what}, got {value}")
        return value

    return parse
