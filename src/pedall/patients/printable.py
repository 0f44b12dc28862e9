"""Patient text made safe to show a person on a terminal: control characters (ANSI escape
sequences start with one), line breaks and the bidirectional overrides that reorder what
a terminal shows are written as visible escapes, so an id or a value can neither restyle
the terminal nor hide or disguise text.

>>> printable("P1\\x1b[31m red\\u202e")
'P1\\\\x1b[31m red\\\\u202e'
"""

from __future__ import annotations

import re

# C0 and C1 controls (ESC, CR, LF, BEL, DEL, CSI ...), the line and paragraph separators,
# and the bidirectional marks, embeddings, overrides and isolates ("Trojan Source").
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escaped(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every unsafe character as a visible escape (``\\x1b``, ``\\u202e``)."""
    return _UNSAFE.sub(_escaped, text)
