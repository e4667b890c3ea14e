"""Run in separate processes by test_numbering: issue documents, rolling back about 1% of them."""

from __future__ import annotations


def issue_many(db_url: str, data_dir: str, count: int, seed: int) -> tuple[list[str], int]:
    """Transaction k of worker `seed` rolls back when (seed * count + k) % 100 == 50: 1% of all of them."""
    from tests.db.test_numbering import simple_content
    from workstation.config import load_settings
    from workstation.services import open_services

    settings = load_settings(None, database_url=db_url, data_dir=data_dir, password_hashing="fast",
                             office={"code": "040300"})  # configured, as the tests' settings (#12 item 7)
    services = open_services(settings, migrate=False)
    actor = services.auth.login("admin", "rahasia-123", client=f"worker {seed}")
    numbers, rolled_back = [], 0
    for k in range(count):
        try:
            with services.ctx.db.write() as s:
                doc = services.issuance.issue_in(s, actor, "BA", simple_content(services))
                if (seed * count + k) % 100 == 50:
                    raise _Rollback
            numbers.append(doc.number)
        except _Rollback:
            rolled_back += 1
    services.ctx.db.dispose()
    return numbers, rolled_back


class _Rollback(Exception):
    pass


def reserve_and_hang(db_url: str, doc_type: str) -> None:
    """Reserve a number inside a write transaction, print it, and wait there to be killed (SIGKILL)."""
    import sys
    import time

    from db import numbering
    from db.engine import Database

    db = Database(db_url)
    with db.write() as s:
        seq = numbering.next_seq(s, numbering.CounterKey("040300", "", doc_type, 2026))
        print(seq, flush=True)
        sys.stdin.readline()  # never answered: the test kills us here, before COMMIT
        time.sleep(3600)
