"""Readers and writers of the real systems' formats, beside the workstation's own (`pib/1`, `plp/1`, …).

A reader maps an outside document onto the same domain model the workstation's own format produces, so every
rule downstream sees one shape; a writer renders what the office decided in the outside system's terms.

* `ceisa`      CEISA 4.0 host-to-host: the BC 2.0 "Kirim Dokumen" import declaration (read) and the office's
               responses with CEISA response codes (written).
* `tpsonline`  TPS Online: the PLP request (read) and its response (written).
* `kurs`       exchange rates as the Ministry publishes them (NLE kurs JSON, the weekly decree table).

Layering: below the services and the commands, which call it; above workstation.inputs, the rules and the
domain, which it may use. `rules` and `domain` never import it.

`read_pib(text)` is the one entry for a PIB from outside: the format is detected from the content. (Imports
are local so that importing one reader of this package does not load the others.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workstation.domain.pib import PibDocument

__all__ = ["PIB_FORMATS", "pib_format", "read_pib"]

#: The formats `read_pib` reads, as `pib_format` names them (the second is workstation.formats.ceisa.BC20_FORMAT).
PIB_FORMATS = ("pib/1", "ceisa/bc20")


def pib_format(raw: object) -> str:
    """Which PIB format a decoded JSON document is: "pib/1" (it carries `"format"`), CEISA BC 2.0 (it carries
    `nomorAju`, the CEISA header's key). InputError INVALID_DOCUMENT when it is neither."""
    from workstation.domain.errors import ErrorCode, InputError
    from workstation.formats.ceisa import BC20_FORMAT, looks_like_bc20

    if not isinstance(raw, dict):
        raise InputError("must be a JSON object", code=ErrorCode.INVALID_DOCUMENT, field="$",
                         params={"reason": "must be a JSON object"})
    if "format" in raw:
        return "pib/1"
    if looks_like_bc20(raw):
        return BC20_FORMAT
    reason = 'neither pib/1 (no "format" field) nor a CEISA BC 2.0 document (no "nomorAju" field)'
    raise InputError(reason, code=ErrorCode.INVALID_DOCUMENT, field="format", params={"reason": reason})


def read_pib(text: str | bytes) -> PibDocument:
    """A PIB from outside, in any format of PIB_FORMATS (detected from the content), as the domain model.
    Raises InputError naming the JSON path of the document as it came in (pib/1 or CEISA)."""
    from workstation.domain.jsondoc import load_json
    from workstation.domain.pib import parse_pib
    from workstation.formats.ceisa import bc20_document, exact_number

    raw = load_json(text, parse_float=exact_number)
    if pib_format(raw) == "pib/1":
        return parse_pib(text)
    return bc20_document(raw)
