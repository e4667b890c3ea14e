"""PLP letters: the approval carries the PLP number and date (gapless per office, type and year), the approved
and refused lines, the movement limits and the rule set; refusal and cancellation letters say why. Printed
on the official-documents base and verifiable."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from workstation.demo.plp import demo_request
from workstation.domain.codes import Role


def _text(services, number: str) -> str:
    """The letter as one line (the preview wraps at 76 columns)."""
    return " ".join(services.documents.preview(number).split())


@pytest.fixture
def plp(services, users):
    services.issuance.ensure_office_key()
    sup = users[Role.SUPERVISOR]
    services.plp.save_tps(sup, "KOJA", "TPK Koja", "PT Koja", "IDTPP", 1000, occupancy_teu_entered=700)
    services.plp.save_tps(sup, "MTI1", "Multi Terminal Indonesia 1", "PT MTI", "IDTPP", 1000)
    return services.plp


def _request(plp, officer, containers=(("CSQU3054383", "40"), ("MSCU6639870", "40")), **kw):
    return plp.import_request(officer, demo_request("KOJA", "MTI1", "YOR_OVER_THRESHOLD", list(containers), **kw))


def test_plp_numbers_are_gapless_and_separate_from_refusals(services, users, plp):
    officer = users[Role.OFFICER]
    first = _request(plp, officer)
    refused = plp.import_request(officer, demo_request("KOJA", "MTI1", "RUSH_HANDLING", [("TGHU8839415", "40")]))
    second = _request(plp, officer)
    sup = users[Role.SUPERVISOR]  # siti registered them; another officer decides
    a = plp.decide(sup, first.case.id, first.case.version, {1: (True, ""), 2: (True, "")})
    b = plp.decide(sup, second.case.id, second.case.version, {1: (True, ""), 2: (False, "tidak ada di BC 1.1")})
    assert (a.plp_number, b.plp_number) == ("000001/PLP/040300/2026", "000002/PLP/040300/2026")
    assert a.plp_date == b.plp_date == services.ctx.today()
    assert refused.documents == ("000001/PLP-TOLAK/040300/2026",)


def test_approval_letter_text(services, users, plp):
    officer = users[Role.OFFICER]
    d = _request(plp, officer)
    d = plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version, {1: (True, ""), 2: (False, "BL tidak sesuai")},
                   note="Dikawal petugas")
    text = _text(services, d.plp_number)
    for expected in ("SURAT PERSETUJUAN PEMINDAHAN LOKASI PENIMBUNAN", d.plp_number, "KOJA — TPK Koja",
                     "MTI1 — Multi Terminal Indonesia 1", "CSQU3054383 (40')", "DISETUJUI", "MSCU6639870 (40')",
                     "BL tidak sesuai", "3 x 24 jam", "12 jam", "PER-6-BC-2015", "Dikawal petugas", "71.5 % / 40 %",
                     "Agus Wijaya"):  # signed by who decided it, not by siti who registered it
        assert expected in text, expected


def test_refusal_letter_explains_each_code(services, users, plp):
    officer = users[Role.OFFICER]
    d = plp.import_request(officer, demo_request("KOJA", "MTI1", "RUSH_HANDLING", [("CSQU3054384", "40")]))
    text = _text(services, d.documents[0])
    assert "SURAT PENOLAKAN" in text
    assert "APPLICANT_NOT_ALLOWED" in text and "diajukan oleh" in text
    assert "INVALID_CONTAINER_NUMBER" in text and "ISO 6346" in text
    assert "1. CSQU3054384 (40') | INVALID_CONTAINER_NUMBER" in text  # the line it concerns
    d = _request(plp, officer)
    r = plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version,
                   {1: (False, "segel rusak"), 2: (False, "BL ganda")})
    text = _text(services, r.documents[-1])
    assert "1. CSQU3054383 (40')" in text and "segel rusak" in text and "BL ganda" in text


def test_cancellation_letter_names_the_plp_and_lines(services, users, plp):
    officer = users[Role.OFFICER]
    d = _request(plp, officer)
    d = plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version, {1: (True, ""), 2: (False, "x")})
    c = plp.cancel(users[Role.SUPERVISOR], d.case.id, d.case.version, "importir mengajukan PIB")
    text = _text(services, c.documents[-1])
    assert "PEMBATALAN" in text and d.plp_number in text and "importir mengajukan PIB" in text
    assert "CSQU3054383" in text and "MSCU6639870" not in text.split("dibatalkan")[-1]


def test_approval_letter_prints_on_the_base_and_verifies(services, users, plp, tmp_path):
    officer = users[Role.OFFICER]
    d = _request(plp, officer, containers=(("CSQU3054383", "40"),))
    d = plp.decide(users[Role.SUPERVISOR], d.case.id, d.case.version, {1: (True, "")})
    out = tmp_path / "plp.pdf"
    services.documents.print_document(officer, d.plp_number, out=out)
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "DIREKTORAT JENDERAL BEA DAN CUKAI" in text and d.plp_number in text and "CSQU3054383" in text
    assert services.documents.verify_pdf(out).exit_code == 0
