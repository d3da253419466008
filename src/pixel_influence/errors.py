"""The one exception type for expected mistakes (bad input, bad data, bad config)."""

__all__ = [
    "InputError",
]


class InputError(ValueError):
    """Raised for a problem the user can fix; the message says what and where."""
