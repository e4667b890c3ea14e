"""The daily report in the TUI at 80×24: from Supervision (l), today's figures as the service gives them, with
text bars; another day typed DD-MM-YYYY or stepped with - and +; a bad day refused naming the field; p prints
the signed PDF (here, with no CUPS queue, to the data directory) and the print is audited."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader
from textual.widgets import Input, Static

from screens.report import ReportScreen
from tests.e2e.conftest import login, open_section, settle
from tests.services.test_dashboard import demo  # noqa: F401  (the fixture)
from workstation.services.audit import AuditFilter


async def test_choose_a_day_see_it_and_print_it(services, demo, make_app):  # noqa: F811
    sup = demo["agus"]
    today = services.ctx.today()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(app, pilot, "agus", "demo12345")
        await pilot.press("f8")
        await settle(app, pilot)
        await pilot.press("l")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        expected = services.report.daily_report_data(sup, today)
        assert screen.data.model_dump(exclude={"generated_at"}) == expected.model_dump(exclude={"generated_at"})
        text = str(screen.query_one("#report-text", Static).render())
        from screens.widgets.words import word

        for row in expected.opened:
            assert any(line.split()[:2] == [row.label, str(row.count)] and "█" in line
                       for line in text.splitlines()), row
        for row in expected.lanes:  # lanes by their word ("jalur hijau"), not the stored code
            name = word(app.tr, "lane", row.label)
            assert any(line.strip().startswith(name) and line.split()[len(name.split())] == str(row.count)
                       and "█" in line for line in text.splitlines()), row
        assert screen.query_one("#report-body").region.bottom <= 24
        # e-CDs per hour: the hours add up to the day's lanes, each hour a line with its stacked bar
        lanes = {r.label: r.count for r in expected.lanes}
        assert screen.hours == services.report.lanes_per_hour(sup, today) and screen.hours
        assert sum(h.green for h in screen.hours) == lanes.get("green", 0)
        assert sum(h.red for h in screen.hours) == lanes.get("red", 0)
        for h in screen.hours:
            line = next(x for x in text.splitlines() if x.strip().startswith(f"{h.hour:02d}:00"))
            assert line.count("█") >= (1 if h.green else 0) and line.count("▒") >= (1 if h.red else 0)
            assert line.rstrip().endswith(f"{h.green}/{h.red}")

        # the day before, with -
        await pilot.press("minus")
        await settle(app, pilot)
        assert screen.data.report_date == today - dt.timedelta(days=1)
        assert screen.query_one("#report-day", Input).value == (today - dt.timedelta(days=1)).strftime("%d-%m-%Y")

        # a day typed DD-MM-YYYY: in the field "-" types, it does not change the day; Esc/F3 leaves the field
        await pilot.press("d")
        field = screen.query_one("#report-day", Input)
        assert screen.focused is field
        await pilot.press("minus")
        await pilot.pause()
        assert screen.data.report_date == today - dt.timedelta(days=1) and field.value == "-"
        await pilot.press("f3")
        await pilot.pause()
        assert app.screen is screen and screen.focused is screen.query_one("#report-body")
        await pilot.press("d")
        field.value = today.strftime("%d-%m-%Y")
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.data.report_date == today

        # a bad day names the field; the report shown stays
        await pilot.press("d")
        field.value = "2026-31-12"
        await pilot.press("enter")
        await settle(app, pilot)
        state = str(screen.query_one("#report-state", Static).render())
        assert "day" in state and "DD-MM-YYYY" in state and screen.data.report_date == today

        # print
        screen.query_one("#report-body").focus()
        await pilot.press("p")
        await settle(app, pilot)
        out = services.settings.data_dir / "reports" / f"laporan-harian-{today.isoformat()}.pdf"
        assert out.exists()
        pdf = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(out.read_bytes())).pages)
        assert today.strftime("%Y") in pdf
        assert str(out) in str(screen.query_one("#report-state", Static).render())
    (entry,) = services.audit.search(sup, AuditFilter(action="report.daily"), limit=5)
    assert entry.entity_id == today.isoformat() and str(out) in entry.payload


async def test_a_print_that_fails_is_said_whole_in_the_screen_s_language(services, demo, make_app):  # noqa: F811
    """The bar beside the day has room for the start of a message only; the whole refusal comes as a
    notification, in Indonesian (here: the office's PAdES key file is missing)."""
    from printing import pades

    key = pades.pades_key_path(services.settings.effective_key_file)
    key.rename(key.with_name(key.name + ".away"))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(app, pilot, "agus", "f8", "demo12345")
        await pilot.press("l")
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        whole = ("kunci atau sertifikat tanda tangan kantor tidak ada: pulihkan berkas kunci dari cadangan atau "
                 "jalankan `workstation db upgrade`")
        assert "kunci atau sertifikat" in str(app.screen.query_one("#report-state", Static).render())
        assert any(n.message == whole and n.severity == "error" for n in app._notifications)
    assert not (services.settings.data_dir / "reports").exists() or not any(
        (services.settings.data_dir / "reports").iterdir())  # nothing printed
