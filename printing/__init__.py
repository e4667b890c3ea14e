"""Official documents: content model, sealing (hash + Ed25519 signature + QR payload), rendering (A4 PDF,
plain-text preview, ESC/POS receipt), output (file, CUPS, serial receipt printer), verification, and the
supervisor's daily report. Pure: no database, no Textual. Modules are imported where used (start-up time):

    content       DocumentContent and its blocks: what the store keeps as canonical JSON
    seal          seal(content, key) -> SealedDocument; check_payload
    signing       office Ed25519 key file, sign / verify_signature
    pades         office PAdES key + certificate, sign_pdf, check_pdf (signature, byte range)
    payload       WSD1 payload build / parse; extract_payload(pdf)
    verify        verify_document(payload, stored, public_key) -> VALID / TAMPERED / UNKNOWN / VOID
    render        render_pdf(content, payload=..., copy_number=, void=, invariant=)
    text          render_text(content, width=76) for the TUI preview
    receipt       ESC/POS receipt layout (42 / 32 columns)
    output        write_file, send_to_cups, print_receipt, open_serial_printer, PrinterError
    daily_report  DailyReportData, render_daily_report
    samples       realistic sample documents (demo, tests, bench)
"""
