"""CEISA 4.0 host-to-host formats: the BC 2.0 import declaration ("Kirim Dokumen", read) and the office's
responses with CEISA response codes (written).

Source: the public CEISA 4.0 API documentation (docs-api-ceisa, `api-services-pabean/kirim-dokumen-impor.md`,
JSON Schema "Kirim Dokumen BC 20" v0.5.7.18; `api-services-pabean/status.md` for the response list);
response codes per DOMAIN.md §2.

Reading a BC 2.0 document (`parse_bc20`, `bc20_document`)
---------------------------------------------------------
The document is flat: a header (`nomorAju`, `kodeKantor`, `kodeValuta`, `ndpbm`, `nomorBc11`/`posBc11`/
`subposBc11`/`tanggalBc11`, `tanggalTiba`, …) and arrays `entitas[]`, `dokumen[]`, `kontainer[]`, `kemasan[]`,
`pengangkut[]`, `barang[]` with `barangTarif[]` per levy. It maps onto the pib/1 domain model
(workstation/domain/pib.py `PibDocument`) so that the same rules decide it:

=====================  ==============================================================================
pib/1                  CEISA BC 2.0
=====================  ==============================================================================
aju                    nomorAju (document code 20: a BC 2.3 or BC 3.0 aju is refused)
office                 kodeKantor
importer.npwp / name   entitas[kodeEntitas "1"].nomorIdentitas / namaEntitas
importer.api           entitas[kodeEntitas "1"].kodeJenisApi is "01" (APIU) or "02" (APIP)
bc11.*                 nomorBc11, tanggalBc11, posBc11, subposBc11 (the schema's example spells it
                       subPosBc11: both are read)
bl.number / date       dokumen[kodeDokumen "705" (B/L) or "740" (AWB)].nomorDokumen / tanggalDokumen
arrival_date           tanggalTiba
currency / ndpbm       kodeValuta / ndpbm
items[].seq            barang[].seriBarang
  hs_code              barang[].posTarif
  description          barang[].uraian
  quantity / unit      barang[].jumlahSatuan / kodeSatuanBarang
  cif                  barang[].cif
  bm_rate              barangTarif[kodeJenisPungutan "BM"].tarif (kodeJenisTarif "1", ad valorem)
  bm_specific_idr      barangTarif[BM].tarif when kodeJenisTarif is "2" (specific; bm_rate then 0)
  ppn/ppnbm/pph_rate   barangTarif["PPN" / "PPNBM" / "PPH"].tarif; a levy not listed is 0
  lartas_required      barang[].pernyataanLartas "Y"
  lartas_permit        the first dokumen named by barang[].barangDokumen[].seriDokumen that is not the
                       invoice (380) or the B/L / AWB (705, 740): its nomorDokumen
=====================  ==============================================================================

Numbers are JSON numbers in CEISA: they are read from their decimal text (`exact_number`, never a float)
and refused (TOO_MANY_DECIMALS) with more decimals than the schema's `multipleOf` (0.01 for money and rates,
0.0001 for NDPBM, weights and quantities). Where the schema gives an item field no `multipleOf`, the header
field of the same meaning decides (item `cif`: 0.01) [U: our reading]. Fields the schema marks required are
required (REQUIRED, named by JSON path, `barang[1].barangTarif[0].tarif`); fields this reader does not use
and fields it does not know are accepted (the schema is versioned and wide).

Not supported, refused with a message naming the path (INVALID_DOCUMENT): a tariff facility other than
"1" (dibayar, paid in full) or a `tarifFasilitas` other than 100; levies other than BM, PPN, PPNBM and PPH
(BMAD, BMTP, BMKITE, excise such as CTEM): the pib/1 model has no place for them, and a PIB assessed without
them would be wrong.

Writing the office's responses (`responses_json`)
-------------------------------------------------
In the shape of CEISA's status/response list: `{"dataRespon": [{"nomorAju", "kodeRespon", "nomorDaftar",
"tanggalDaftar", "nomorRespon", "tanggalRespon", "keterangan", "pesan": [{"uraian1", "uraian2"}]}]}`, one
entry per response the office issued, in issue order. Response codes (DOMAIN.md §2): 02 rejected, 03 SPPB,
05 SPJM, 07 LHP, 13 SPBL, 15 NPD, 20 billing, 27 SPTNP, 80 IP."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from workstation.domain.errors import ErrorCode, InputError
from workstation.domain.jsondoc import MAX_JSON_NUMBER_CHARS, load_json, validation_input_error
from workstation.domain.pib import PibDocument

BC20_FORMAT = "ceisa/bc20"

# --- numbers ------------------------------------------------------------------------------------------------

MAX_DIGITS = 24  # the schema's maxlength of a number: digits before the decimal point at most
MONEY = 2  # multipleOf 0.01: money (cif, fob, freight, asuransi, nilaiBayar…) and rates (tarif)
FOUR = 4  # multipleOf 0.0001: ndpbm, bruto, netto, volume, jumlahSatuan

#: Header numbers and their decimals (the schema's multipleOf).
HEADER_NUMBERS: dict[str, int] = {
    "asuransi": MONEY, "bruto": FOUR, "cif": MONEY, "fob": MONEY, "freight": MONEY, "hargaPenyerahan": FOUR,
    "ndpbm": FOUR, "netto": FOUR, "nilaiBarang": MONEY, "nilaiIncoterm": MONEY, "nilaiMaklon": MONEY,
    "totalDanaSawit": MONEY, "volume": FOUR, "vd": FOUR, "biayaTambahan": MONEY, "biayaPengurang": MONEY,
}
#: Item (barang[]) numbers and their decimals; `cif` and `asuransi`, `fob`, `freight` take the header's.
ITEM_NUMBERS: dict[str, int] = {
    "asuransi": MONEY, "bruto": FOUR, "cif": MONEY, "fob": MONEY, "freight": MONEY, "isiPerKemasan": MONEY,
    "jumlahKemasan": MONEY, "jumlahSatuan": FOUR, "netto": FOUR, "volume": FOUR,
}
#: barangTarif[] numbers and their decimals.
TARIFF_NUMBERS: dict[str, int] = {
    "jumlahSatuan": FOUR, "nilaiBayar": MONEY, "tarif": MONEY, "tarifFasilitas": MONEY, "nilaiFasilitas": MONEY,
}

# --- what the schema requires -------------------------------------------------------------------------------

HEADER_REQUIRED = (
    "asuransi", "bruto", "cif", "kodeJenisImpor", "freight", "jabatanTtd", "jumlahKontainer", "kodeCaraBayar",
    "kodeKantor", "kodePelMuat", "kodePelTujuan", "kodeTps", "kodeTutupPu", "kodeValuta", "kotaTtd", "namaTtd",
    "ndpbm", "netto", "nomorAju", "tanggalTtd", "tanggalTiba", "biayaTambahan", "biayaPengurang", "barang",
    "entitas", "kemasan", "dokumen", "pengangkut",
    # not required by the schema, but by the SKP checks (the BC 1.1 manifest reference, DOMAIN.md §2 step 1)
    "nomorBc11", "posBc11", "tanggalBc11",
)
ITEM_REQUIRED = (
    "asuransi", "cif", "fob", "freight", "hargaSatuan", "jumlahKemasan", "jumlahSatuan", "kodeJenisKemasan",
    "kodeSatuanBarang", "merk", "posTarif", "saldoAkhir", "saldoAwal", "seriBarang", "tipe", "uraian",
    "barangTarif", "barangVd",
)
TARIFF_REQUIRED = ("kodeJenisPungutan", "kodeFasilitasTarif", "nilaiBayar", "tarif", "nilaiFasilitas")
BM_REQUIRED = ("kodeJenisTarif", "tarifFasilitas")
IMPORTER_REQUIRED = ("alamatEntitas", "kodeEntitas", "kodeJenisApi", "kodeJenisIdentitas", "kodeStatus",
                     "namaEntitas", "nibEntitas", "nomorIdentitas", "seriEntitas")
DOCUMENT_REQUIRED = ("kodeDokumen", "nomorDokumen", "seriDokumen", "tanggalDokumen")
PACKAGE_REQUIRED = ("jumlahKemasan", "kodeJenisKemasan", "merkKemasan", "seriKemasan")
CARRIER_REQUIRED = ("kodeBendera", "namaPengangkut", "nomorPengangkut", "kodeCaraAngkut", "seriPengangkut")

IMPORTER = "1"  # kodeEntitas of the importer (7 owner, 9 sender, 10 seller, 4 PPJK)
API_KINDS = ("01", "02")  # kodeJenisApi: APIU, APIP
INVOICE = "380"
TRANSPORT_DOCUMENTS = ("705", "740")  # House B/L, AWB
PAID = "1"  # kodeFasilitasTarif: dibayar (paid in full)
AD_VALOREM, SPECIFIC = "1", "2"  # kodeJenisTarif
LEVY_FIELDS = {"BM": "bm_rate", "PPN": "ppn_rate", "PPNBM": "ppnbm_rate", "PPH": "pph_rate"}

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def exact_number(text: str) -> Decimal:
    """The JSON float hook: a JSON number with a fraction or exponent as the exact Decimal of its text (never
    through a float). ValueError (→ INVALID_JSON) for one longer than MAX_JSON_NUMBER_CHARS."""
    if len(text) > MAX_JSON_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text)} characters (at most {MAX_JSON_NUMBER_CHARS})")
    return Decimal(text)


def looks_like_bc20(raw: Mapping[str, Any]) -> bool:
    """A decoded JSON object is read as a CEISA BC 2.0 document when it carries the CEISA header's `nomorAju`
    (pib/1 carries `format` and `aju` instead)."""
    return "nomorAju" in raw and "format" not in raw


# --- errors -------------------------------------------------------------------------------------------------


def _required(path: str) -> InputError:
    return InputError("missing required field", code=ErrorCode.REQUIRED, field=path)


def _invalid(path: str, reason: str) -> InputError:
    return InputError(reason, code=ErrorCode.INVALID_DOCUMENT, field=path, params={"reason": reason})


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


# --- typed access, each error naming the path ---------------------------------------------------------------


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(path or "$", "must be a JSON object")
    return value


def _array(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _invalid(path, "must be a JSON array")
    return value


def _need(obj: Mapping[str, Any], keys: Iterable[str], path: str) -> None:
    for key in keys:
        if obj.get(key) is None:
            raise _required(_join(path, key))


def _number(value: Any, path: str, places: int) -> Decimal:
    """A non-negative JSON number of at most MAX_DIGITS integer digits and `places` decimals (the schema's
    maxlength and multipleOf), exactly. InputError INVALID_DOCUMENT (not a number), NEGATIVE, TOO_LARGE,
    TOO_MANY_DECIMALS."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _invalid(path, "must be a JSON number")
    number = Decimal(value)
    if not number.is_finite():
        raise _invalid(path, "must be a finite number")
    if number < 0:
        raise InputError(code=ErrorCode.NEGATIVE, field=path)
    if number and number.adjusted() >= MAX_DIGITS:  # also keeps 1E+999999 from being written out in full
        raise InputError(f"at most {MAX_DIGITS} digits before the decimal point", code=ErrorCode.TOO_LARGE,
                         field=path, params={"limit": f"{MAX_DIGITS} digits"})
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise InputError(code=ErrorCode.TOO_MANY_DECIMALS, field=path, params={"limit": places})
    return number


def _numbers(obj: Mapping[str, Any], table: Mapping[str, int], path: str) -> None:
    """Every number of `table` present in `obj` checked (type, sign, decimals)."""
    for key, places in table.items():
        if obj.get(key) is not None:
            _number(obj[key], _join(path, key), places)


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _invalid(path, "must be a JSON string")
    return value.strip()


def _integer(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(code=ErrorCode.NOT_WHOLE_NUMBER, field=path)
    return value


def _date(value: Any, path: str) -> str:
    text = _string(value, path)
    if not _DATE_RE.fullmatch(text):
        raise InputError(code=ErrorCode.DATE_FORMAT, field=path)
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(code=ErrorCode.NOT_A_DATE, field=path) from None
    return text


def _plain(number: Decimal) -> str:
    """A Decimal as pib/1's plain decimal string: 1.2E+3 -> "1200", 5.50 -> "5.50" (bounded by `_number`)."""
    return format(number, "f")


# --- BC 2.0 -> pib/1 ----------------------------------------------------------------------------------------


@dataclass
class _Mapped:
    """The pib/1 document being built and, for each of its paths, the CEISA path it came from."""

    doc: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)

    def put(self, target: dict[str, Any], key: str, value: Any, pib_path: str, ceisa_path: str) -> None:
        target[key] = value
        self.origin[pib_path] = ceisa_path


def parse_bc20(text: str | bytes) -> PibDocument:
    """Parse a CEISA 4.0 BC 2.0 "Kirim Dokumen" JSON document into the pib/1 domain model. Raises InputError
    naming the CEISA JSON path: INVALID_JSON / NOT_UTF8 / … (jsondoc.load_json), REQUIRED (a required
    field missing), TOO_MANY_DECIMALS, NEGATIVE, DATE_FORMAT, NOT_A_DATE, NOT_WHOLE_NUMBER,
    INVALID_DOCUMENT (a wrong type, an unsupported levy or facility, a value pib/1 refuses)."""
    return bc20_document(load_json(text, parse_float=exact_number))


def bc20_document(raw: Any) -> PibDocument:
    """`parse_bc20` on an already decoded document (load_json with `exact_number`: no floats inside)."""
    head = _object(raw, "")
    _need(head, HEADER_REQUIRED, "")
    _numbers(head, HEADER_NUMBERS, "")
    if head.get("kodeDokumen") is not None and _string(head["kodeDokumen"], "kodeDokumen") != "20":
        raise _invalid("kodeDokumen", f"kodeDokumen {str(head['kodeDokumen'])[:10]!r} is not 20 (BC 2.0, a PIB)")
    subpos_key = "subposBc11" if head.get("subposBc11") is not None else "subPosBc11"
    if head.get(subpos_key) is None:
        raise _required("subposBc11")
    m = _Mapped()
    d = m.doc
    d["format"] = "pib/1"
    m.put(d, "aju", _string(head["nomorAju"], "nomorAju"), "aju", "nomorAju")
    m.put(d, "office", _string(head["kodeKantor"], "kodeKantor"), "office", "kodeKantor")
    d["importer"] = _importer(head, m)
    d["bc11"] = {}
    for key, src in (("number", "nomorBc11"), ("pos", "posBc11"), ("subpos", subpos_key)):
        m.put(d["bc11"], key, _string(head[src], src), f"bc11.{key}", src)
    m.put(d["bc11"], "date", _date(head["tanggalBc11"], "tanggalBc11"), "bc11.date", "tanggalBc11")
    m.origin["bc11"] = "nomorBc11"
    documents = _documents(head)
    d["bl"] = _bill_of_lading(documents, m)
    m.put(d, "arrival_date", _date(head["tanggalTiba"], "tanggalTiba"), "arrival_date", "tanggalTiba")
    m.put(d, "currency", _string(head["kodeValuta"], "kodeValuta"), "currency", "kodeValuta")
    m.put(d, "ndpbm", _plain(_number(head["ndpbm"], "ndpbm", FOUR)), "ndpbm", "ndpbm")
    _packages(head)
    _carriers(head)
    _containers(head)
    items = _array(head["barang"], "barang")
    if not items:
        raise _invalid("barang", "at least one item (barang) is required")
    m.origin["items"] = "barang"
    d["items"] = [_item(raw_item, n, documents, m) for n, raw_item in enumerate(items)]
    try:
        return PibDocument.model_validate_json(json.dumps(d, ensure_ascii=False))
    except ValidationError as exc:
        err = validation_input_error(exc)
        where = m.origin.get(err.field or "", _nearest_origin(err.field or "", m.origin))
        raise InputError(err.message, code=err.code, field=where, params={"reason": err.message}) from None


def _nearest_origin(path: str, origin: Mapping[str, str]) -> str:
    """The CEISA path of the longest mapped prefix of a pib/1 path (an error inside an item → that item)."""
    while path:
        if path in origin:
            return origin[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return "$"


def _importer(head: Mapping[str, Any], m: _Mapped) -> dict[str, Any]:
    entities = _array(head["entitas"], "entitas")
    found = None
    for n, raw in enumerate(entities):
        ent = _object(raw, f"entitas[{n}]")
        if ent.get("kodeEntitas") is not None and _string(ent["kodeEntitas"], f"entitas[{n}].kodeEntitas") == IMPORTER:
            if found is not None:
                raise _invalid(f"entitas[{n}].kodeEntitas", 'a second importer (kodeEntitas "1")')
            found = n
    if found is None:
        raise InputError('no importer (an entitas with kodeEntitas "1")', code=ErrorCode.REQUIRED, field="entitas")
    path = f"entitas[{found}]"
    ent = entities[found]
    _need(ent, IMPORTER_REQUIRED, path)
    out: dict[str, Any] = {}
    m.put(out, "npwp", _string(ent["nomorIdentitas"], f"{path}.nomorIdentitas"), "importer.npwp",
          f"{path}.nomorIdentitas")
    m.put(out, "name", _string(ent["namaEntitas"], f"{path}.namaEntitas"), "importer.name", f"{path}.namaEntitas")
    m.put(out, "api", _string(ent["kodeJenisApi"], f"{path}.kodeJenisApi") in API_KINDS, "importer.api",
          f"{path}.kodeJenisApi")
    m.origin["importer"] = path
    return out


@dataclass(frozen=True)
class _Doc:
    index: int
    code: str
    number: str
    seri: str
    date: str


def _documents(head: Mapping[str, Any]) -> list[_Doc]:
    out = []
    for n, raw in enumerate(_array(head["dokumen"], "dokumen")):
        path = f"dokumen[{n}]"
        doc = _object(raw, path)
        _need(doc, DOCUMENT_REQUIRED, path)
        seri = doc["seriDokumen"]
        out.append(_Doc(n, _string(doc["kodeDokumen"], f"{path}.kodeDokumen"),
                        _string(doc["nomorDokumen"], f"{path}.nomorDokumen"),
                        str(_integer(seri, f"{path}.seriDokumen")),
                        _date(doc["tanggalDokumen"], f"{path}.tanggalDokumen")))
    return out


def _bill_of_lading(documents: Sequence[_Doc], m: _Mapped) -> dict[str, Any]:
    found = [d for d in documents if d.code in TRANSPORT_DOCUMENTS]
    if not found:
        raise InputError('no B/L or AWB (a dokumen with kodeDokumen "705" or "740")', code=ErrorCode.REQUIRED,
                         field="dokumen")
    if len(found) > 1:
        raise _invalid(f"dokumen[{found[1].index}].kodeDokumen", "a second B/L or AWB (705 / 740)")
    bl = found[0]
    out: dict[str, Any] = {}
    m.put(out, "number", bl.number, "bl.number", f"dokumen[{bl.index}].nomorDokumen")
    m.put(out, "date", bl.date, "bl.date", f"dokumen[{bl.index}].tanggalDokumen")
    m.origin["bl"] = f"dokumen[{bl.index}]"
    return out


def _packages(head: Mapping[str, Any]) -> None:
    for n, raw in enumerate(_array(head["kemasan"], "kemasan")):
        pkg = _object(raw, f"kemasan[{n}]")
        _need(pkg, PACKAGE_REQUIRED, f"kemasan[{n}]")
        _integer(pkg["jumlahKemasan"], f"kemasan[{n}].jumlahKemasan")


def _carriers(head: Mapping[str, Any]) -> None:
    for n, raw in enumerate(_array(head["pengangkut"], "pengangkut")):
        _need(_object(raw, f"pengangkut[{n}]"), CARRIER_REQUIRED, f"pengangkut[{n}]")


def _containers(head: Mapping[str, Any]) -> None:
    # `kontainer` is optional (goods not carried in containers); an entry with seriKontainer names the rest.
    for n, raw in enumerate(_array(head.get("kontainer") or [], "kontainer")):
        box = _object(raw, f"kontainer[{n}]")
        if box.get("seriKontainer") is not None:
            _need(box, ("kodeTipeKontainer", "kodeUkuranKontainer", "nomorKontainer"), f"kontainer[{n}]")


def _item(raw: Any, n: int, documents: Sequence[_Doc], m: _Mapped) -> dict[str, Any]:
    path, target = f"barang[{n}]", f"items[{n}]"
    item = _object(raw, path)
    _need(item, ITEM_REQUIRED, path)
    _numbers(item, ITEM_NUMBERS, path)
    out: dict[str, Any] = {}
    m.origin[target] = path

    def put(key: str, value: Any, src: str) -> None:
        m.put(out, key, value, f"{target}.{key}", f"{path}.{src}")

    put("seq", _integer(item["seriBarang"], f"{path}.seriBarang"), "seriBarang")
    put("hs_code", _string(item["posTarif"], f"{path}.posTarif"), "posTarif")
    put("description", _string(item["uraian"], f"{path}.uraian"), "uraian")
    quantity = _number(item["jumlahSatuan"], f"{path}.jumlahSatuan", FOUR)
    put("quantity", _plain(quantity), "jumlahSatuan")
    put("unit", _string(item["kodeSatuanBarang"], f"{path}.kodeSatuanBarang"), "kodeSatuanBarang")
    put("cif", _plain(_number(item["cif"], f"{path}.cif", MONEY)), "cif")
    rates = _levies(item, path, quantity)
    for levy, key in LEVY_FIELDS.items():
        rate, src = rates.get(levy, (Decimal(0), f"{path}.barangTarif"))
        put(key, _plain(rate), src)
    if "BM_SPECIFIC" in rates:
        put("bm_specific_idr", _plain(rates["BM_SPECIFIC"][0]), rates["BM_SPECIFIC"][1])
    put("excise_idr", 0, "barangTarif")
    statement = item.get("pernyataanLartas")
    required = statement is not None and _string(statement, f"{path}.pernyataanLartas") == "Y"
    put("lartas_required", required, "pernyataanLartas")
    permit, src = _permit(item, path, documents)
    put("lartas_permit", permit, src)
    return out


def _levies(item: Mapping[str, Any], path: str, quantity: Decimal) -> dict[str, tuple[Decimal, str]]:
    """{levy: (rate, CEISA path of the rate)} of one item's barangTarif; "BM_SPECIFIC" for a specific BM
    (rupiah per unit). BM is required; other levies absent are 0."""
    out: dict[str, tuple[Decimal, str]] = {}
    for t, raw in enumerate(_array(item["barangTarif"], f"{path}.barangTarif")):
        where = f"{path}.barangTarif[{t}]"
        entry = _object(raw, where)
        _need(entry, TARIFF_REQUIRED, where)
        _numbers(entry, TARIFF_NUMBERS, where)
        levy = _string(entry["kodeJenisPungutan"], f"{where}.kodeJenisPungutan").upper()
        if levy not in LEVY_FIELDS:
            raise _invalid(f"{where}.kodeJenisPungutan",
                           f"levy {levy[:12]} is not supported (only {', '.join(LEVY_FIELDS)})")
        if levy in out:
            raise _invalid(f"{where}.kodeJenisPungutan", f"levy {levy} is given twice for this item")
        if levy == "BM":
            _need(entry, BM_REQUIRED, where)
        facility = _string(entry["kodeFasilitasTarif"], f"{where}.kodeFasilitasTarif")
        if facility != PAID:
            raise _invalid(f"{where}.kodeFasilitasTarif",
                           f"tariff facility {facility[:12]} is not supported (only {PAID}, paid in full)")
        if entry.get("tarifFasilitas") is not None and _number(entry["tarifFasilitas"], f"{where}.tarifFasilitas",
                                                               MONEY) != 100:
            raise _invalid(f"{where}.tarifFasilitas", "a facility share other than 100 % paid is not supported")
        kind = AD_VALOREM if entry.get("kodeJenisTarif") is None else _string(entry["kodeJenisTarif"],
                                                                              f"{where}.kodeJenisTarif")
        rate = _number(entry["tarif"], f"{where}.tarif", MONEY)
        if kind == SPECIFIC and levy == "BM":
            units = entry.get("jumlahSatuan")
            if units is not None and _number(units, f"{where}.jumlahSatuan", FOUR) != quantity:
                raise _invalid(f"{where}.jumlahSatuan",
                               "a specific BM on a quantity other than the item's jumlahSatuan is not supported")
            out["BM"] = (Decimal(0), f"{where}.tarif")
            out["BM_SPECIFIC"] = (rate, f"{where}.tarif")
        elif kind == AD_VALOREM:
            out[levy] = (rate, f"{where}.tarif")
        else:
            raise _invalid(f"{where}.kodeJenisTarif",
                           f"kodeJenisTarif {kind[:4]!r} is not supported for {levy} (1 ad valorem"
                           + (", 2 specific)" if levy == "BM" else ")"))
    if "BM" not in out:
        raise InputError('no BM levy (a barangTarif with kodeJenisPungutan "BM")', code=ErrorCode.REQUIRED,
                         field=f"{path}.barangTarif")
    return out


def _permit(item: Mapping[str, Any], path: str, documents: Sequence[_Doc]) -> tuple[str | None, str]:
    """The permit an item's barangDokumen names (not the invoice nor the transport document), or None."""
    by_seri = {d.seri: d for d in documents}
    for k, raw in enumerate(_array(item.get("barangDokumen") or [], f"{path}.barangDokumen")):
        where = f"{path}.barangDokumen[{k}].seriDokumen"
        ref = _object(raw, f"{path}.barangDokumen[{k}]").get("seriDokumen")
        if ref is None:
            raise _required(where)
        seri = str(_integer(ref, where)) if not isinstance(ref, str) else ref.strip()
        doc = by_seri.get(seri)
        if doc is None:
            raise _invalid(where, f"no dokumen has seriDokumen {seri[:10]}")
        if doc.code not in (INVOICE, *TRANSPORT_DOCUMENTS):
            return doc.number, f"dokumen[{doc.index}].nomorDokumen"
    return None, f"{path}.barangDokumen"


# --- responses ----------------------------------------------------------------------------------------------

#: CEISA response codes (kodeRespon) of the office's documents, by the workstation's document type
#: (printing/documents/pib.py) — DOMAIN.md §2. "BILLING" is the billing code issued for a PIB.
RESPONSE_CODES: dict[str, str] = {
    "PENOLAKAN": "02", "SPPB": "03", "SPJM": "05", "LHP": "07", "SPBL": "13", "NPD": "15", "BILLING": "20",
    "SPTNP": "27", "IP": "80",
}
RESPONSE_NAMES: dict[str, str] = {
    "02": "Respon Penolakan", "03": "SPPB", "05": "SPJM", "07": "LHP", "13": "SPBL", "15": "NPD",
    "20": "Billing", "27": "SPTNP", "80": "Instruksi Pemeriksaan",
}


@dataclass(frozen=True)
class Response:
    """One response the office issued: its document type (a key of RESPONSE_CODES), number, date, a note
    and messages as (code, text) pairs (a rejection's problems)."""

    kind: str
    number: str
    date: dt.date
    note: str = ""
    messages: tuple[tuple[str, str], ...] = ()


def responses_json(aju: str, registration_number: str | None, registered_on: dt.date | None,
                   responses: Iterable[Response]) -> dict[str, Any]:
    """The office's responses to one PIB as CEISA's response list (`{"dataRespon": [...]}`, see the module
    docstring). Responses of a kind without a CEISA code (BAP, sampling minutes, DNP) are left out."""
    out = []
    for r in responses:
        code = RESPONSE_CODES.get(r.kind)
        if code is None:
            continue
        out.append({
            "nomorAju": aju,
            "kodeRespon": code,
            "nomorDaftar": registration_number or "",
            "tanggalDaftar": registered_on.isoformat() if registered_on else "",
            "nomorRespon": r.number,
            "tanggalRespon": r.date.isoformat(),
            "keterangan": r.note or RESPONSE_NAMES[code],
            "pesan": [{"uraian1": c, "uraian2": t} for c, t in r.messages],
        })
    return {"dataRespon": out}
