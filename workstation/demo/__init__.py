"""`workstation demo`: a fresh database with an office, a user of every role and sample data, so that a
newcomer can log in and see every screen working. Passwords are shown on the login screen's demo banner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workstation.domain.codes import Role

if TYPE_CHECKING:
    from workstation.config import Settings  # pydantic: not before the TUI's first paint (bootconfig.py)

DEMO_PASSWORD = "demo12345"
DEMO_USERS = [
    ("admin", "Administrator Demo", Role.ADMIN, "199001012015011001"),
    ("siti", "Siti Rahmawati", Role.OFFICER, "199203152016012002"),
    ("budi", "Budi Santoso", Role.INSPECTOR, "198807222012011003"),
    ("dewi", "Dewi Lestari", Role.EXAMINER, "198512052010012004"),
    ("agus", "Agus Wijaya", Role.SUPERVISOR, "198002282005011005"),
]
DEMO_ACCOUNTS = [(login, DEMO_PASSWORD, role.value) for login, _, role, _ in DEMO_USERS]


def build_demo(settings: Settings):
    """Create (or reopen) the demo database and fill it. Idempotent: a second run changes nothing."""
    from workstation.services import open_services

    services = open_services(settings)
    auth = services.auth
    if auth.needs_first_admin():
        o = services.settings.office  # the demo's office is entered as a first run enters it (#12 item 7)
        services.office.configure_first_run(code=o.code, name=o.name, address=o.address, city=o.city,
                                            phone=o.phone, timezone=o.timezone)
        login, name, _, nip = DEMO_USERS[0]
        auth.create_first_admin(login, name, DEMO_PASSWORD, nip=nip)
        services.issuance.ensure_office_key()
        admin = auth.login(DEMO_USERS[0][0], DEMO_PASSWORD, client="demo set-up")
        for login, name, role, nip in DEMO_USERS[1:]:
            auth.create_user(admin, login, name, [role], DEMO_PASSWORD, nip=nip)
        auth.logout(admin, "demo set-up done")
        seed_workflows(services)
    return services


# Each workflow's demo data: `workstation/demo/<name>.py` defines `seed_demo(services)`; run in this order
# (rates before cases). The data lives here, outside the services: seeding goes through the services' own
# use cases, as an officer's work would.
SEED_MODULES = ("reference", "ecd", "pib", "risk", "plp", "devices")


def seed_workflows(services) -> None:
    import importlib
    import importlib.util

    for name in SEED_MODULES:
        for modname in (f"workstation.demo.{name}", f"workstation.services.{name}"):
            if importlib.util.find_spec(modname) is None:
                continue
            seed = getattr(importlib.import_module(modname), "seed_demo", None)
            if seed is not None:
                seed(services)
                break


def start_demo_devices(demo_dir):
    """Simulators on pseudo-terminals for the demo, and the device configuration that reads them.
    Returns (simulators by device name, devices config, settings overrides for the gate)."""
    from devices.sim.simulators import make_simulator

    sims = {
        "counter-qr": make_simulator("barcode", link=str(demo_dir / "counter-qr")),
        "gate-ocr": make_simulator("barcode", link=str(demo_dir / "gate-ocr"), aim=None),
        "gate-1": make_simulator("barrier", link=str(demo_dir / "gate-1"), protocol="ascii", travel=1.0,
                                 auto_pass=3.0),  # a demo truck drives through 3 s after each open
    }
    devices = [
        {"name": "counter-qr", "kind": "barcode", "port": str(demo_dir / "counter-qr"), "baud": 115200},
        {"name": "gate-ocr", "kind": "barcode", "port": str(demo_dir / "gate-ocr"), "baud": 115200},
        {"name": "gate-1", "kind": "barrier", "protocol": "ascii", "port": str(demo_dir / "gate-1"), "baud": 9600},
    ]
    # The receipt printer: the receipt key (ESC/POS) prints on a pseudo-terminal whose bytes land in
    # DIR/receipts.escpos (workstation/demo/receipt.py).
    from workstation.demo.receipt import ReceiptPrinterSink

    receipt = ReceiptPrinterSink(demo_dir)
    sims["receipt-printer"] = receipt
    return sims, devices, {"gate": {"barrier": "gate-1", "tps": "KOJA"}, "printer": {"receipt_port": receipt.port}}
