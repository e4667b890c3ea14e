"""PAdES signatures on issued PDFs (pyHanko), so that any change to the file — its visible text, one flipped byte,
bytes appended, an incremental update — is detected by `workstation verify` and by any standard PDF reader's
signature panel.

The office's PAdES identity is separate from the Ed25519 seal of the QR payload (common readers do not show
Ed25519 signatures): an ECDSA P-256 key in a file beside the seal key (PKCS#8 PEM, mode 0600, never in the
database) and a self-signed X.509 certificate naming the office, stored (PEM) in the database so that every
workstation and central can verify. Signatures are PAdES baseline B-B (subfilter ETSI.CAdES.detached, SHA-256);
no timestamp authority is reachable, so B-T and above are out of reach.

Pure: no database. Errors: InputError (bad key file, certificate, PDF) with a catalogued code."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from workstation.domain.errors import ErrorCode
from workstation.errors import InputError

if TYPE_CHECKING:
    from pyhanko.sign.signers import SimpleSigner

SIGNATURE_FIELD = "WSDSignature"
CERT_VALIDITY_DAYS = 3652  # ten years
# Room for the CMS object in the signature's /Contents: an ECDSA P-256 signature and one certificate need about
# 1.5 kB; reserving a fixed size keeps pyHanko from a second pass to estimate it.
_BYTES_RESERVED = 8192


class PadesCheck(StrEnum):
    """The file-level checks of `verify`, in the order they run."""

    SIGNATURE = "signature"
    BYTE_RANGE = "byte range"


@dataclass(frozen=True)
class PadesResult:
    """Outcome of checking a PDF's PAdES signature. `ok` only when the signature is cryptographically valid, made
    by the trusted office certificate and covers the whole file. `failed` names the first check that did not
    pass; `code` is a machine code (SIGNATURE_MISSING, SIGNATURE_INVALID, SIGNATURE_UNTRUSTED, BYTE_RANGE, …)."""

    ok: bool
    failed: PadesCheck | None
    code: str
    reason: str
    signed_at: dt.datetime | None = None
    office: str | None = None  # code of the office whose certificate made the signature


# --------------------------------------------------------------------------- the office identity


def pades_key_path(seal_key_path: str | Path) -> Path:
    """Where the PAdES key lives: beside the Ed25519 seal key (office-040300.ed25519 → office-040300.pades.pem)."""
    p = Path(seal_key_path)
    return p.with_name(f"{p.stem}.pades.pem")


def _write_new_file(path: Path, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError("key file already exists; refusing to overwrite it", field=str(path),
                         code=ErrorCode.KEY_INVALID) from None
    except OSError as exc:
        raise InputError(template="cannot create key file: {reason}", field=str(path),
                         code=ErrorCode.KEY_INVALID, params={"reason": exc.strerror}) from None
    try:
        os.fchmod(fd, 0o600)  # os.open's mode passes through the umask
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def generate_key(path: str | Path) -> ec.EllipticCurvePrivateKey:
    """Create a new ECDSA P-256 key at `path` (PKCS#8 PEM, mode 0600). Refuses to overwrite an existing file
    (InputError): documents signed with the old key would no longer chain to a new certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    _write_new_file(Path(path), pem)
    return key


def load_key(path: str | Path) -> ec.EllipticCurvePrivateKey:
    """Load the PAdES key. Missing, unreadable, too open (group/other bits) or not a P-256 key → InputError."""
    path = Path(path)
    try:
        st = path.stat()
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("key file not found (created at set-up)", field=str(path), code=ErrorCode.KEY_MISSING) from None
    except OSError as exc:
        raise InputError(template="cannot read key file: {reason}", field=str(path),
                         code=ErrorCode.KEY_INVALID, params={"reason": exc.strerror}) from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(template="key file permissions {mode:04o} are too open; use 0600",
                         field=str(path), code=ErrorCode.KEY_INVALID, params={"mode": stat.S_IMODE(st.st_mode)})
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise InputError("not an unencrypted PEM private key", field=str(path), code=ErrorCode.KEY_INVALID) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InputError("key is not an ECDSA P-256 key", field=str(path), code=ErrorCode.KEY_INVALID)
    return key


def make_certificate(key: ec.EllipticCurvePrivateKey, *, office_name: str, office_code: str,
                     now: dt.datetime | None = None) -> str:
    """A self-signed certificate (PEM) for the office's PAdES key: CN = office name, O = DJBC, serialNumber = the
    office code, valid ten years from `now` (UTC), key usage digitalSignature + nonRepudiation (what PDF readers
    and pyHanko expect of a document-signing certificate)."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DJBC"),
        x509.NameAttribute(NameOID.COMMON_NAME, office_name[:64] or office_code),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, office_code),
    ])
    pub = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(pub)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))  # clocks of other workstations drift
        .not_valid_after(now + dt.timedelta(days=CERT_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_certificate(pem: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise InputError("the office certificate is not a PEM X.509 certificate", field="signing_certificate",
                         code=ErrorCode.KEY_INVALID) from None


def key_matches_certificate(key: ec.EllipticCurvePrivateKey, cert_pem: str) -> bool:
    """True when `cert_pem` certifies exactly this key's public key."""
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    cert_pub = load_certificate(cert_pem).public_key().public_bytes(serialization.Encoding.DER, spki)
    return key.public_key().public_bytes(serialization.Encoding.DER, spki) == cert_pub


# --------------------------------------------------------------------------- signing


def _asn1_cert(cert_pem: str) -> Any:
    from asn1crypto import x509 as asn1_x509

    der = load_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
    return asn1_x509.Certificate.load(der)


def make_signer(key: ec.EllipticCurvePrivateKey, cert_pem: str) -> SimpleSigner:
    """The pyHanko signer for this key and certificate. A key that the certificate does not certify →
    InputError KEY_MISMATCH (signatures would not verify against the stored certificate)."""
    from asn1crypto import keys as asn1_keys
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    if not key_matches_certificate(key, cert_pem):
        raise InputError("the PAdES key file does not match the office certificate", field="signing_certificate",
                         code=ErrorCode.KEY_MISMATCH)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    cert = _asn1_cert(cert_pem)
    return SimpleSigner(signing_cert=cert, signing_key=asn1_keys.PrivateKeyInfo.load(der),
                        cert_registry=SimpleCertificateStore.from_certs([cert]), embed_roots=False)


def sign_pdf(pdf: bytes, signer: SimpleSigner, *, reason: str | None = None, location: str | None = None) -> bytes:
    """Sign `pdf` (PAdES B-B, invisible signature field, SHA-256) as one incremental update, and return the
    signed file. The signature's byte range covers the whole returned file. Unreadable PDF → InputError."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = signers.PdfSigner(meta, signer).sign_pdf(writer, bytes_reserved=_BYTES_RESERVED)
    except PdfError as exc:
        raise InputError(f"cannot sign the PDF: {exc}", field="pdf", code=ErrorCode.INVALID_DOCUMENT,
                         params={"reason": "cannot sign the PDF"}) from None
    return bytes(out.getbuffer())


# --------------------------------------------------------------------------- checking


def _fail(check: PadesCheck, code: str, reason: str, signed_at: dt.datetime | None = None) -> PadesResult:
    return PadesResult(False, check, code, reason, signed_at)


def check_pdf(pdf: bytes, trusted: Mapping[str, str] | str | None) -> PadesResult:
    """Check the PAdES signature of `pdf` against the office certificates `trusted` (office code → PEM, or one
    PEM). They are the only trust roots: the system's trust store is not consulted and nothing is fetched. Never
    raises on a damaged file: a file that cannot be parsed fails the signature check.

    Checks, in order: signature (exactly one signature, of subfilter ETSI.CAdES.detached, made with one of the
    trusted certificates, intact — the digest of the covered bytes matches — and cryptographically valid), then
    byte range (the signature covers the entire file: nothing appended, no incremental update after signing)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    sig_check = PadesCheck.SIGNATURE
    if isinstance(trusted, str):
        trusted = {"": trusted}
    roots: dict[bytes, tuple[str, Any]] = {}
    for office, pem in (trusted or {}).items():
        try:
            cert = _asn1_cert(pem)
        except InputError:
            continue  # one office's broken row must not stop the others' documents from verifying
        roots[cert.dump()] = (office, cert)
    if not roots:
        return _fail(sig_check, "NO_CERTIFICATE", "no office certificate is stored to check the signature with")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = reader.embedded_signatures
    except Exception:  # pyHanko raises many kinds of errors on damaged files; all mean "cannot be checked"
        return _appended_or_damaged(pdf, roots)
    if not sigs:
        return _fail(sig_check, "SIGNATURE_MISSING", "the file carries no digital signature")
    if len(sigs) != 1:
        return _fail(sig_check, "SIGNATURE_COUNT", f"the file carries {len(sigs)} signatures, expected one")
    return _check_signature(sigs[0], roots)


def _appended_or_damaged(pdf: bytes, roots: Mapping[bytes, tuple[str, Any]]) -> PadesResult:
    """A file that does not parse may be a signed file with bytes appended (which can leave it unparseable):
    if a prefix ending at an end-of-file marker carries a valid signature over all of itself, say so (byte
    range); otherwise the file is damaged (signature)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    end = len(pdf)
    for _ in range(4):  # the last few markers: appended junk rarely holds more
        marker = pdf.rfind(b"%%EOF", 0, end)
        if marker < 0:
            break
        cut = marker + 5
        for newline in (b"\r\n", b"\n", b"\r", b""):
            if pdf.startswith(newline, cut) and cut + len(newline) < len(pdf):
                prefix = pdf[: cut + len(newline)]
                try:
                    sigs = PdfFileReader(io.BytesIO(prefix), strict=False).embedded_signatures
                    inner = _check_signature(sigs[0], roots) if len(sigs) == 1 else None
                except Exception:
                    inner = None
                if inner is not None and inner.ok:
                    return _fail(PadesCheck.BYTE_RANGE, "BYTE_RANGE",
                                 "bytes were appended after the signed file", inner.signed_at)
                break
        end = marker
    return _fail(PadesCheck.SIGNATURE, "SIGNATURE_UNREADABLE", "the file is damaged: its signature cannot be read")


def _check_signature(sig: Any, roots: Mapping[bytes, tuple[str, Any]]) -> PadesResult:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    sig_check = PadesCheck.SIGNATURE
    try:
        subfilter = str(sig.sig_object.get("/SubFilter"))
    except Exception:
        subfilter = ""
    if subfilter != "/ETSI.CAdES.detached":
        return _fail(sig_check, "SIGNATURE_NOT_PADES", f"the signature is not a PAdES signature ({subfilter[:40]})")
    try:
        signer_cert = sig.signer_cert
    except Exception:
        return _fail(sig_check, "SIGNATURE_UNREADABLE", "the signature names no signer certificate")
    found = roots.get(signer_cert.dump())
    if found is None:
        return _fail(sig_check, "SIGNATURE_UNTRUSTED", "the signature was not made with an office certificate")
    if not _cms_is_canonical(sig, signer_cert):
        return _fail(sig_check, "SIGNATURE_INVALID",
                     "the signature container was altered (its unsigned parts differ from what was written)")
    office, office_cert = found
    vc = ValidationContext(trust_roots=[office_cert], allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = validate_pdf_signature(
            sig, vc, key_usage_settings=KeyUsageConstraints(key_usage={"non_repudiation"}), skip_diff=True)
    except Exception:  # malformed CMS inside an otherwise readable file
        return _fail(sig_check, "SIGNATURE_INVALID", "the signature is malformed")
    signed_at = status.signer_reported_dt
    if not status.intact:
        return _fail(sig_check, "SIGNATURE_INVALID",
                     "the signed bytes were changed after signing (digest mismatch)", signed_at)
    if not status.valid:
        return _fail(sig_check, "SIGNATURE_INVALID", "the signature does not verify", signed_at)
    if not status.trusted:
        return _fail(sig_check, "SIGNATURE_UNTRUSTED", "the signer certificate is not the trusted office certificate",
                     signed_at)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return _fail(PadesCheck.BYTE_RANGE, "BYTE_RANGE",
                     "the signature does not cover the whole file (bytes added or changed after signing)", signed_at)
    if not _gap_is_canonical(sig):
        return _fail(PadesCheck.BYTE_RANGE, "BYTE_RANGE_GAP",
                     "bytes in the signature's placeholder, outside the signed range, were changed", signed_at)
    return PadesResult(True, None, "OK", "the PAdES signature is valid and covers the whole file", signed_at,
                       office or None)


def _gap_is_canonical(sig: Any) -> bool:
    """The one span a PAdES byte range leaves out is the signature's /Contents. A reader decodes it leniently
    (hex in either case, DER followed by anything), so a byte changed there would not break the signature:
    require exactly what sign_pdf writes — `<`, upper-case hex of the DER signature, zero padding, `>`."""
    try:
        start, first_len, second_start, _ = (int(x) for x in sig.sig_object["/ByteRange"])
        data = sig.reader.stream
        data.seek(start + first_len)
        gap = data.read(second_start - start - first_len)
        contents = bytes(sig.pkcs7_content)
        der_len = len(_cms_der(sig))
    except Exception:
        return False
    padded = contents[der_len:] == bytes(len(contents) - der_len)
    return padded and gap == b"<" + contents.hex().upper().encode("ascii") + b">"


def _cms_der(sig: Any) -> bytes:
    """The CMS object inside /Contents, without the zero padding."""
    from asn1crypto import parser

    contents = bytes(sig.pkcs7_content)
    _, _, _, header, body, trailer = parser.parse(contents, strict=False)
    return contents[: len(header) + len(body) + len(trailer)]


def _cms_is_canonical(sig: Any, cert: Any) -> bool:
    """Parts of a CMS signature are not covered by it (the digest algorithm list, the certificate set, the
    signer identifier, the algorithm identifiers); readers tolerate some changes there. Require the CMS to be
    exactly the one sign_pdf makes from this certificate, the signed attributes and the signature value, so
    that no byte of it can change unnoticed."""
    from asn1crypto import algos, cms

    try:
        der = _cms_der(sig)
        si = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
                {"issuer": cert.issuer, "serial_number": cert.serial_number})}),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": si["signed_attrs"].untag(),
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            "signature": si["signature"].native,
        })
        expected = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData({
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "data"},
            "certificates": [cert],
            "signer_infos": [signer_info],
        })})
        return bool(expected.dump() == der)
    except Exception:  # anything unparseable is not what sign_pdf wrote
        return False
