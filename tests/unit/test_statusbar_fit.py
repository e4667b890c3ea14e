"""The status bar at 80 columns (screens/widgets/statusbar.py): what does not fit is left out by importance,
a long device list shrinks to counts first, so a short part (the back end) is not lost to a long one."""

from __future__ import annotations

import pytest

from screens.widgets.statusbar import compact_devices, fit_parts

WHO, OFFICE, CLOCK = "admin (administrator)", "040300/-", "05:50:59"
DEVICES = "perangkat: counter-qr● gate-1● gate-ocr● receipt-printer●"


def _parts(devices: str = DEVICES, sync: str = "") -> list[tuple[float, str]]:
    return [(9, WHO), (8, OFFICE), (3, "sqlite"), (4, devices), (8.5, sync), (6, CLOCK)]


def test_everything_is_shown_when_it_fits_in_its_order():
    assert fit_parts(_parts("perangkat: -"), 78) == f"{WHO} │ {OFFICE} │ sqlite │ perangkat: - │ {CLOCK}"


def test_a_long_part_is_left_out_and_the_short_less_important_one_stays():
    line = fit_parts(_parts(), 78)
    assert line == f"{WHO} │ {OFFICE} │ sqlite │ {CLOCK}"  # the device list went, the back end did not


def test_the_most_important_parts_win_when_little_fits():
    sync = "Sinkron: 12 tertunda · terakhir 13:05"
    line = fit_parts(_parts(sync=sync), 62)
    assert line == f"{WHO} │ {sync}"  # (9) and (8.5); the rest does not fit beside them
    assert len(line) <= 62
    assert fit_parts(_parts(), 5) == WHO  # the most important is always kept


def test_not_laid_out_yet_keeps_everything_and_empty_parts_go():
    assert fit_parts(_parts(), 0).count(" │ ") == 4  # five texts: the empty sync part is not joined


@pytest.mark.parametrize(("summary", "compact"), [
    ("counter-qr● gate-1● gate-ocr! receipt-printer●", "3● 1!"),
    ("gate-1○", "1○"),
    ("-", "-"),
])
def test_the_device_list_shrinks_to_counts_per_health_mark(summary, compact):
    assert compact_devices(summary) == compact
