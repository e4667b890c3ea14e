"""An issued document on screen: its kind, date and state, the mark its next print carries, the text preview of
exactly what is printed; print it (the first time) or reprint it (the copy mark is added by the service), print
the receipt, void with a supervisor's confirmation. Workflow screens push `DocumentModal(number)`; the
supervision section finds documents by number."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from screens.base import Modal
from screens.dialogs import PromptModal, SupervisorConfirmModal
from screens.widgets.text import assemble, plain
from screens.widgets.words import day, word
from workstation.i18n import N_

HEAD_WIDTH = 76  # the text inside the border and padding at 80 columns


def _fit(parts: list[list], width: int) -> list:
    """Label-value pairs on as few lines as fit in `width`, a pair never split between lines."""
    out: list = []
    used = 0
    for part in parts:
        size = sum(len(p[0]) if isinstance(p, tuple) else len(str(p)) for p in part)
        if out:
            if used + 2 + size > width:
                out.append("\n")
                used = 0
            else:
                out.append("  ")
                used += 2
        out.extend(part)
        used += size
    return out


class DocumentModal(Modal):
    DEFAULT_CSS = """
    DocumentModal { align: center middle; }
    DocumentModal > Vertical { width: 82; max-width: 100%; height: 100%; border: round $accent;
                               background: $surface; }
    DocumentModal VerticalScroll { height: 1fr; }
    #doc-text { width: auto; }
    #doc-head { height: auto; padding: 0 1; }
    #doc-mark { height: auto; padding: 0 1; }
    #doc-status { height: auto; background: $boost; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="doc.close"),
        Binding("f3", "close", N_("Close"), id="doc.close_f3", show=False),
        # one key, two names: "Print" while the document has never been printed, "Reprint" after
        Binding("p", "print", N_("Print"), id="doc.print"),
        Binding("p", "reprint", N_("Reprint"), id="doc.reprint"),
        Binding("t", "receipt", N_("Receipt"), id="doc.receipt"),
        Binding("x", "void", N_("Void"), id="doc.void"),
    ]

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
        self.view = None  # services.documents.DocumentView once loaded

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="doc-head")
            yield Static(id="doc-mark")
            with VerticalScroll():
                yield Static(id="doc-text")
            yield Static(id="doc-status")

    def on_mount(self) -> None:
        self._status(self.tr("Loading…"))
        self._load()

    def _load(self) -> None:
        docs = self.services.documents
        self.call_service(docs.document_view, self.number, group="doc-load", on_result=self._show,
                          on_error=self._not_found)

    def _not_found(self, exc: Exception) -> None:
        self.show_error(exc)
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        view = self.view
        if action == "print":
            return view is None or view.prints == 0
        if action == "reprint":
            return view is not None and view.prints > 0
        if action == "receipt":
            return view is not None and view.receipt
        return True

    def _show(self, view) -> None:
        self.view = view
        self.refresh_bindings()
        self.refresh_language()

    def refresh_language(self) -> None:
        view = self.view
        if view is None:
            return
        tr = self.tr
        # number, kind, date and state: codes as stored, words translated, the date DD-MM-YYYY
        parts = [[(view.number, "bold")], [(tr("Kind of document") + ": ", "dim"), view.doc_type],
                 [(tr("Issued on") + ": ", "dim"), day(view.issue_date)],
                 [(tr("State") + ": ", "dim"), word(tr, "document", view.status)]]
        self.query_one("#doc-head", Static).update(assemble(*_fit(parts, HEAD_WIDTH)))
        self.query_one("#doc-mark", Static).update(self._mark_line(view))
        self.query_one("#doc-text", Static).update(plain(view.text, lines=True))  # document text is never markup
        self._status(self._keys_line(view))

    def _mark_line(self, view):
        """The mark the next print carries, as the printing module stamps it (printing.fmt)."""
        tr = self.tr
        marks = [m for m in (view.copy_mark, view.void_mark) if m]
        if not marks:
            return assemble((tr("Next print") + ": ", "dim"), (tr("the original (no copy mark)"), "bold"))
        count = [(" (" + tr("printed {n} times so far", n=view.prints) + ")", "dim")] if view.prints else []
        return assemble((tr("Next print carries") + ": ", "dim"), (" · ".join(marks), "bold reverse"), *count)

    def _keys_line(self, view) -> str:
        tr = self.tr
        keys = [tr("P print") if view.prints == 0 else tr("P reprint")]
        if view.receipt:
            keys.append(tr("T receipt"))
        keys += [tr("X void"), tr("Esc/F3 close")]
        return " · ".join(keys)

    def _status(self, text: str) -> None:
        self.query_one("#doc-status", Static).update(plain(text))

    def action_close(self) -> None:
        self.dismiss(None)

    def action_print(self) -> None:
        self._print(receipt=False)

    def action_reprint(self) -> None:
        self._print(receipt=False)

    def action_receipt(self) -> None:
        self._print(receipt=True)

    def _print(self, receipt: bool) -> None:
        docs, actor, number = self.services.documents, self.actor, self.number
        settings = self.wapp.settings

        def work():
            if receipt:
                return docs.print_document(actor, number, receipt=True)
            if settings.printer.cups_queue:
                return docs.print_document(actor, number)
            # no printer configured on this workstation: export next to the data so nothing is lost; a
            # reprint gets a name of its own (…-reprint-N.pdf), never the original's
            exports = settings.data_dir / "exports"
            exports.mkdir(parents=True, exist_ok=True)
            return docs.print_document(actor, number, out=exports / (number.replace("/", "_") + ".pdf"),
                                       reprint_names=True)

        def done(r) -> None:
            mark = self.tr("original") if r.copy_number == 0 else self.tr("copy {n}", n=r.copy_number)
            self.notify(self.tr("Printed {number} ({mark}) to {target}", number=number, mark=mark, target=r.detail))
            self._load()

        # not latest_only: a second P while printing must not hide the first print's outcome
        self.call_service(work, group="doc-print", on_result=done, exclusive=False)

    def action_void(self) -> None:
        def with_reason(reason: str | None) -> None:
            if not reason:
                return

            def confirmed(supervisor) -> None:
                if supervisor is None:
                    return
                issuance, actor, number = self.services.issuance, self.actor, self.number
                self.call_service(issuance.void, actor, number, reason, supervisor, group="doc-void",
                                  on_result=lambda _: (self.notify(self.tr("{number} is void.", number=number)),
                                                       self._load()))

            self.app.push_screen(SupervisorConfirmModal("void", self.tr("Void {number}: {reason}", number=self.number,
                                                                         reason=reason)), confirmed)

        self.app.push_screen(PromptModal(self.tr("Void document"), self.tr("Reason")), with_reason)
