"""Errors a user can act on: printed as one line, exit code 2, never a traceback."""


class UserError(Exception):
    """An error whose message tells the user what is wrong and what to do."""
