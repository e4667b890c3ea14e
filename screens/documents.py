"""An issued document on screen: the text preview of exactly what is printed, print again (the copy mark is
added by the service), print the receipt, void with a supervisor's confirmation. Workflow screens push
`DocumentModal(number)`; the supervision section finds documents by number."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from screens.base import Modal
from screens.dialogs import PromptModal, SupervisorConfirmModal
from screens.widgets.text import plain
from workstation.i18n import N_


class DocumentModal(Modal):
    DEFAULT_CSS = """
    DocumentModal { align: center middle; }
    DocumentModal > Vertical { width: 82; max-width: 100%; height: 100%; border: round $accent;
                               background: $surface; }
    DocumentModal VerticalScroll { height: 1fr; }
    #doc-text { width: auto; }
    #doc-status { height: 1; background: $boost; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="doc.close"),
        Binding("p", "print", N_("Print"), id="doc.print"),
        Binding("t", "receipt", N_("Receipt"), id="doc.receipt"),
        Binding("x", "void", N_("Void"), id="doc.void"),
    ]

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll():
                yield Static(id="doc-text")
            yield Static(id="doc-status")

    def on_mount(self) -> None:
        self._status(self.tr("Loading…"))
        self._load()

    def _load(self) -> None:
        docs = self.services.documents
        self.call_service(docs.preview, self.number, group="doc-load", on_result=self._show, on_error=self._not_found)

    def _not_found(self, exc: Exception) -> None:
        self.show_error(exc)
        self.dismiss(None)

    def _show(self, text: str) -> None:
        self.query_one("#doc-text", Static).update(plain(text, lines=True))  # document text is never markup
        keys = self.tr("P print again · T receipt · X void · Esc close")
        self._status(f"{self.number} — {keys}")

    def _status(self, text: str) -> None:
        self.query_one("#doc-status", Static).update(plain(text))  # a document number is stored text

    def action_close(self) -> None:
        self.dismiss(None)

    def action_print(self) -> None:
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
            # no printer configured on this workstation: export next to the data so nothing is lost
            exports = settings.data_dir / "exports"
            exports.mkdir(parents=True, exist_ok=True)
            return docs.print_document(actor, number, out=exports / (number.replace("/", "_") + ".pdf"))

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
