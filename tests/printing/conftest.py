from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from pypdf import PdfReader

from printing.content import DocumentContent
from printing.samples import sample_ecd_slip, sample_lhp, sample_payment_receipt, sample_sppb
from printing.seal import SealedDocument, seal
from printing.signing import generate_key, public_key_b64
from printing.verify import StoredDocument


@dataclass(frozen=True)
class Issued:
    content: DocumentContent
    sealed: SealedDocument

    def stored(self, **changes) -> StoredDocument:
        fields = dict(
            number=self.content.number,
            doc_type=self.content.doc_type,
            issue_date=self.content.issue_date,
            content=self.sealed.content_json,
            content_hash=self.sealed.content_hash,
            signature=self.sealed.signature,
            status="ISSUED",
        )
        fields.update(changes)
        return StoredDocument(**fields)


@pytest.fixture(scope="session")
def office_key(tmp_path_factory):
    return generate_key(tmp_path_factory.mktemp("keys") / "office.pem")


@pytest.fixture(scope="session")
def public_key(office_key) -> str:
    return public_key_b64(office_key)


@pytest.fixture(scope="session")
def other_key(tmp_path_factory):
    return generate_key(tmp_path_factory.mktemp("keys2") / "other.pem")


@pytest.fixture(scope="session")
def sppb(office_key) -> Issued:
    c = sample_sppb()
    return Issued(c, seal(c, office_key))


@pytest.fixture(scope="session")
def lhp(office_key) -> Issued:
    c = sample_lhp()
    return Issued(c, seal(c, office_key))


@pytest.fixture(scope="session")
def payment(office_key) -> Issued:
    c = sample_payment_receipt()
    return Issued(c, seal(c, office_key))


@pytest.fixture(scope="session")
def ecd_slip(office_key) -> Issued:
    c = sample_ecd_slip()
    return Issued(c, seal(c, office_key))


def pdf_text(pdf: bytes) -> list[str]:
    """Extracted text per page."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def fonts_used(pdf: bytes) -> dict[str, bool]:
    """BaseFont name → embedded? for every font any page uses."""
    found: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            desc_holder = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = desc_holder.get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            found[str(font["/BaseFont"])] = embedded
    return found
