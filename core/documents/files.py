"""What an upload must be before anything is stored: a PDF by its content (magic bytes,
read by puremagic, not by its name), within the size limit, under a name that is a plain
file name; and a structured form (HL7 CDA) that is well-formed XML, read by defusedxml so
no entity or external reference is ever expanded. Refusals are `InvalidInput` with a
`reason` the faces translate; none quotes the file or its name."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import puremagic
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from core.errors import InvalidInput

PDF_MIME = "application/pdf"
MAX_NAME_CHARS = 200


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_structured_bytes: int = 2 * 1024 * 1024


def check_name(name: str) -> str:
    """The file's name, if it is a plain name of a PDF: no folders, no control or
    direction-changing characters, no hidden-file dot, ending in .pdf."""
    name = unicodedata.normalize("NFC", name.strip())
    if (
        not name
        or len(name) > MAX_NAME_CHARS
        or any(unicodedata.category(ch).startswith("C") for ch in name)
        or any(ch in name for ch in '/\\:*?"<>|')
        or name.startswith(".")
        or ".." in name
        or not name.casefold().endswith(".pdf")
    ):
        raise InvalidInput(
            "the file name must be a plain name ending in .pdf", field="name", reason="file_name"
        )
    return name


def check_pdf(content: bytes, limits: UploadLimits) -> None:
    if not content:
        raise InvalidInput("the file is empty", field="file", reason="file_empty")
    if len(content) > limits.max_bytes:
        raise InvalidInput(
            f"the file is over {limits.max_bytes // (1024 * 1024)} MB",
            field="file",
            reason="file_too_large",
        )
    try:
        best = puremagic.magic_string(content[:4096])[0]
    except puremagic.PureError:
        best = None
    if best is None or best.mime_type != PDF_MIME or best.offset != 0:
        raise InvalidInput("the file is not a PDF", field="file", reason="file_not_pdf")


def check_structured(content: bytes, limits: UploadLimits) -> None:
    """The structured form is kept as it came; it only has to be XML, safely read."""
    if not content or len(content) > limits.max_structured_bytes:
        raise InvalidInput(
            "the structured form is empty or too large", field="structured", reason="file_too_large"
        )
    try:
        fromstring(content, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        raise InvalidInput(
            "the structured form is not well-formed XML",
            field="structured",
            reason="structured_not_xml",
        ) from None
