"""printing.pades without a database: the office identity, signing, and the file checks."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from printing import pades
from printing.render import render_pdf
from workstation.domain.errors import ErrorCode
from workstation.errors import InputError


@pytest.fixture(scope="module")
def identity(tmp_path_factory):
    key = pades.generate_key(tmp_path_factory.mktemp("pades") / "office.pades.pem")
    cert = pades.make_certificate(key, office_name="KPU Bea dan Cukai Tipe A Tanjung Priok", office_code="040300")
    return key, cert


@pytest.fixture(scope="module")
def signed(identity, sppb):
    key, cert = identity
    return render_pdf(sppb.content, payload=sppb.sealed.payload, signer=pades.make_signer(key, cert))


def test_signed_pdf_passes_both_checks_and_names_its_office(identity, signed):
    _, cert = identity
    result = pades.check_pdf(signed, {"040300": cert})
    assert result.ok and result.failed is None and result.office == "040300"
    assert result.signed_at is not None and abs(result.signed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_the_content_before_the_signature_stays_byte_stable(identity, sppb):
    # ReportLab invariant=1: the unsigned rendering is byte-identical; signing appends one incremental update.
    key, cert = identity
    plain = render_pdf(sppb.content, payload=sppb.sealed.payload, invariant=True)
    assert plain == render_pdf(sppb.content, payload=sppb.sealed.payload, invariant=True)
    signed = render_pdf(sppb.content, payload=sppb.sealed.payload, invariant=True,
                        signer=pades.make_signer(key, cert))
    assert signed.startswith(plain) and len(signed) > len(plain)


def test_another_office_certificate_is_not_trusted(signed, tmp_path):
    other = pades.generate_key(tmp_path / "other.pem")
    result = pades.check_pdf(signed, {"050100": pades.make_certificate(other, office_name="X", office_code="050100")})
    assert not result.ok and result.failed is pades.PadesCheck.SIGNATURE and result.code == "SIGNATURE_UNTRUSTED"


def test_no_certificate_stored_fails_the_signature_check(signed):
    assert pades.check_pdf(signed, {}).code == "NO_CERTIFICATE"
    assert pades.check_pdf(signed, {"040300": "not a certificate"}).code == "NO_CERTIFICATE"


def test_signer_refuses_a_key_the_certificate_does_not_certify(identity, tmp_path):
    _, cert = identity
    with pytest.raises(InputError) as err:
        pades.make_signer(pades.generate_key(tmp_path / "k.pem"), cert)
    assert err.value.code == ErrorCode.KEY_MISMATCH


def test_key_file_is_never_overwritten(tmp_path):
    path = tmp_path / "k.pem"
    pades.generate_key(path)
    before = path.read_bytes()
    with pytest.raises(InputError, match="refusing to overwrite"):
        pades.generate_key(path)
    assert path.read_bytes() == before


def test_an_ed25519_key_file_is_not_a_pades_key(tmp_path):
    from printing.signing import generate_key

    generate_key(tmp_path / "seal.pem")
    with pytest.raises(InputError, match="not an ECDSA P-256 key"):
        pades.load_key(tmp_path / "seal.pem")


def test_key_path_sits_beside_the_seal_key(tmp_path):
    assert pades.pades_key_path(tmp_path / "office-040300.ed25519") == tmp_path / "office-040300.pades.pem"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_check_never_raises_on_junk(identity, junk):
    _, cert = identity
    assert not pades.check_pdf(b"%PDF-1.4\n" + junk, cert).ok


def test_pdf_truncated_anywhere_in_its_signature_fails(identity, signed):
    _, cert = identity
    for cut in (len(signed) - 1, len(signed) - 200, len(signed) // 2, 1000):
        assert not pades.check_pdf(signed[:cut], cert).ok
    assert pades.check_pdf(io.BytesIO(signed).read(), cert).ok
