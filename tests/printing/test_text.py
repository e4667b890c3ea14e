from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from printing.samples import sample_ecd_slip, sample_lhp, sample_payment_receipt, sample_sppb
from printing.text import render_text
from tests.printing.test_content import contents


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=contents, width=st.integers(32, 120))
def test_every_line_fits_the_width(content, width):
    text = render_text(content, width, copy_number=2, void=True)
    for line in text.splitlines():
        assert len(line) <= width, line


@pytest.mark.parametrize("make", [sample_lhp, sample_sppb, sample_payment_receipt, sample_ecd_slip])
def test_samples_fit_76_columns_and_show_key_facts(make):
    content = make()
    text = render_text(content)
    assert max(len(line) for line in text.splitlines()) <= 76
    assert content.number in text
    assert "DIREKTORAT JENDERAL BEA DAN CUKAI" in text
    for s in content.signatories:
        assert s.name in text


def test_lhp_preview_content():
    text = render_text(sample_lhp(items=3))
    assert "Tanggal / Date: 20 November 2026" in text
    assert "CSQU3054383" in text
    assert "NIP 19800501 200501 1 001" in text
    assert "| No |" in text


def test_payment_preview_amounts_right_aligned():
    lines = render_text(sample_payment_receipt(), 60).splitlines()
    total = next(line for line in lines if line.startswith("Jumlah / Total"))
    assert total.endswith("Rp884.000")
    assert len(total) == 60


def test_marks():
    plain = render_text(sample_sppb())
    assert "SALINAN" not in plain and "BATAL" not in plain
    assert "[SALINAN / COPY ke-2]" in render_text(sample_sppb(), copy_number=2)
    assert render_text(sample_sppb(), void=True).count("*** BATAL / VOID ***") == 2


def test_too_narrow_is_refused():
    with pytest.raises(ValueError):
        render_text(sample_sppb(), 20)
