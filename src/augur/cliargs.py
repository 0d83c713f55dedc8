"""Argument types shared by every `augur` subcommand's parser (one place, so every
command words a bad value the same way)."""

from __future__ import annotations

import argparse


def positive_int(name: str):
    """An argparse type: a positive integer, else an error naming the flag and the value."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a positive integer, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{name} must be a positive integer, got {value}")
        return value

    return parse
