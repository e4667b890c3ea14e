from __future__ import annotations

import os
import stat

import pytest

from printing.signing import (
    generate_key,
    load_private_key,
    load_public_key,
    public_key_b64,
    sign,
    verify_signature,
)
from workstation.errors import InputError

H = "ab" * 32
H2 = "cd" * 32


def test_generated_key_file_is_private_and_loads(tmp_path):
    path = tmp_path / "office.pem"
    key = generate_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_private_key(path)
    assert public_key_b64(loaded) == public_key_b64(key)


def test_generate_refuses_to_overwrite(tmp_path):
    path = tmp_path / "office.pem"
    generate_key(path)
    before = path.read_bytes()
    with pytest.raises(InputError, match="refusing to overwrite"):
        generate_key(path)
    assert path.read_bytes() == before


def test_generate_under_a_wide_umask_is_still_0600(tmp_path):
    old = os.umask(0)
    try:
        path = tmp_path / "k.pem"
        generate_key(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_key_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "office.pem"
    generate_key(path)
    path.chmod(0o644)
    with pytest.raises(InputError, match="too open"):
        load_private_key(path)


def test_missing_or_garbage_key_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_private_key(tmp_path / "nope.pem")
    bad = tmp_path / "bad.pem"
    bad.write_text("hello")
    bad.chmod(0o600)
    with pytest.raises(InputError, match="PEM"):
        load_private_key(bad)


def test_signature_binds_number_and_hash(office_key, other_key, public_key):
    sig = sign(office_key, "SPPB-1", H)
    assert len(sig) == 86
    assert verify_signature(public_key, "SPPB-1", H, sig)
    assert not verify_signature(public_key, "SPPB-2", H, sig)
    assert not verify_signature(public_key, "SPPB-1", H2, sig)
    assert not verify_signature(public_key_b64(other_key), "SPPB-1", H, sig)
    forged = sign(other_key, "SPPB-1", H)
    assert not verify_signature(public_key, "SPPB-1", H, forged)


@pytest.mark.parametrize("sig", ["", "!!!", "A" * 86, "A" * 85, "A" * 200])
def test_malformed_signatures_do_not_verify(public_key, sig):
    assert verify_signature(public_key, "SPPB-1", H, sig) is False


def test_bad_public_key_does_not_verify(office_key):
    sig = sign(office_key, "SPPB-1", H)
    assert not verify_signature("not base64!", "SPPB-1", H, sig)
    with pytest.raises(InputError, match="32 bytes"):
        load_public_key("AAAA")


def test_sign_refuses_a_non_hash(office_key):
    with pytest.raises(InputError, match="hex"):
        sign(office_key, "SPPB-1", "XYZ")
