"""How a message names a config key (``config.samples.d.index``) and shows a value, short."""

import re

__all__ = ["SHOWN", "shown", "where"]

# a key written as is in a key path (config.samples.digit7); any other is quoted:
# config.samples['a b'], so that a message stays one line and says which key it means
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
SHOWN = 60  # characters of a long value or key that a message shows


def shown(value):
    """``repr(value)``, cut to ``SHOWN`` characters when longer: a message stays short."""
    text = repr(value)
    if len(text) <= SHOWN:
        return text
    size = len(value) if isinstance(value, (str, bytes, list, dict)) else len(text)
    unit = "characters" if isinstance(value, (str, bytes)) else "items"
    if not isinstance(value, (str, bytes, list, dict)):
        unit = "characters written out"
    return f"{text[:SHOWN]}... ({size} {unit})"


def where(path):
    """``config.samples.d.index`` or ``config.layers[1]`` for a path of keys and indices; a
    key that is not plain text is quoted (``config.samples['a b']``), so a key holding a
    newline or a control character still gives a one-line message."""
    out = "config"
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            out += f".{part}"
        else:
            out += f"[{shown(part)}]"
    return out
