"""Plain text files (.txt, .md): decoded from whatever encoding they are in."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from chatbot.readers.base import ReadPart, ReadResult, UnreadableDocument

# Byte-order marks of the wide Unicode encodings (UTF-32 first: its LE mark starts like UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes) -> str:
    """Return the text of `data`: UTF-8 when valid, else the encoding charset-normalizer finds.

    Raises UnreadableDocument for binary data or bytes no encoding explains.
    """
    for bom, encoding in _BOMS:  # UTF-16/32 text is full of NUL bytes but is not binary
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise UnreadableDocument(f"invalid {encoding} text") from exc
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise UnreadableDocument("unknown text encoding")
    return str(best)


def read_text(data: bytes) -> ReadResult:
    """Return a text file's content as one part."""
    return ReadResult((ReadPart(decode(data)),))
