"""The base of augur's user-facing errors: the CLI prints these as one line, exit 2."""


class AugurError(Exception):
    """A problem the user can fix; the message says how."""
