"""Errors a user caused with a setting or an argument: the command line prints the message as
one line and exits with 2 (``host/cli.py``), never a traceback."""


class SettingError(ValueError):
    """A bad environment setting or argument; the message is one line naming it."""
