"""Offline field units syncing with the central PostgreSQL: not built yet (no issue asks for it so far).

What is already in place for it: UUIDv7 keys on case data; every change goes through one service call in one
write transaction (`db.engine.Database.write`), where a change-log writer can register a `before_commit` hook;
reports, issued documents and audit entries are append-only; official numbers carry the unit code when
`unit_code` is set."""
