"""Patient input is UTF-8 text; a file that is not gets a message naming the line and the
byte, saying what it probably is (Latin-1 or Windows-1252, as spreadsheets save "CSV" on
many systems) and how to save or convert it as UTF-8.

>>> error = not_utf8("t.csv", "patient_id\\nP1,caf\\xe9\\n".encode("latin-1"), 17, 2)
>>> str(error)[:64]
't.csv: line 2: not UTF-8 text: byte 0xe9 cannot be read as UTF-8'
"""

from __future__ import annotations

from pedall.errors import InputFormatError


def not_utf8(source: str, data: bytes, start: int, line: int) -> InputFormatError:
    """The error for the undecodable byte at ``data[start]``, on file line ``line``."""
    byte = data[start : start + 1] or b"?"
    try:
        character = byte.decode("cp1252")
    except UnicodeDecodeError:  # five bytes Windows-1252 leaves undefined
        character = byte.decode("latin-1")
    return InputFormatError(
        f"{source}: line {line}: not UTF-8 text: byte 0x{byte[0]:02x} cannot be read as "
        f"UTF-8 (in Latin-1 or Windows-1252 it is {character!r}, so the file is probably "
        "in one of those); pedall reads UTF-8: save the file as UTF-8 (in a spreadsheet: "
        "'CSV UTF-8'), or convert it, e.g. iconv -f WINDOWS-1252 -t UTF-8 in.csv > out.csv",
        line=line,
    )


def utf8_text(payload: bytes, source: str) -> str:
    """The payload as text (a byte-order mark is dropped); ``not_utf8`` otherwise."""
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = payload.count(b"\n", 0, error.start) + 1
        raise not_utf8(source, payload, error.start, line) from None


def stream_error(source: str, error: UnicodeDecodeError, lines_read: int) -> InputFormatError:
    """``not_utf8`` for a decoding error met while reading a file line by line: the error's
    bytes are the chunk being decoded, which begins on the line after ``lines_read``."""
    chunk = bytes(error.object)
    return not_utf8(source, chunk, error.start, lines_read + 1 + chunk.count(b"\n", 0, error.start))
