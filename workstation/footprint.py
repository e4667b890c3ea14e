"""Memory per TUI process (issue #15: ≤ 80 MB per SSH session).

OpenSSL costs a Python process ≈ 4.4 MB resident (libcrypto's own initialisation and the pages it touches).
A TUI session loads it only because modules reach for it at import: `hashlib` (its OpenSSL constructors),
asyncio (its optional TLS support: `import ssl` in asyncio.sslproto) and, on PostgreSQL, psycopg's libpq module
(`import ssl` to set up Python's libcrypto callbacks, which the bundled libpq, with a libcrypto of its own, does
not share). The session draws a terminal and talks to its database through the driver (libpq has its own TLS):
it needs none of that. `without_openssl` imports those modules while `_hashlib` and `ssl` are marked absent, so
hashlib takes CPython's built-in SHA-2/SHA-1/MD5/BLAKE2 (the same digests), asyncio has no TLS in this process
and psycopg skips its import; then it clears the marks, so a later `import ssl` (an HTTPS sync, cryptography
signing an anchor) loads OpenSSL as usual. Not in such a process afterwards: `hashlib.pbkdf2_hmac` and
`hashlib.scrypt` (OpenSSL only; nothing of the TUI uses them) and TLS on asyncio streams. `workstation tui`
calls it before Textual (and with it asyncio) is imported; the app's database worker calls it for psycopg.

`ensure_bytecode`: see its docstring (serve-ssh, ≈3.5 MB per session)."""

from __future__ import annotations

import sys

# imported under the marks: the modules that bind an OpenSSL object at import (secrets and the rest import
# hmac and hashlib; uuid and random take hashlib's digests when they need them)
_UNDER_MARKS = ("hashlib", "hmac", "asyncio")
_MARKED = ("_hashlib", "ssl")


def without_openssl(*also: str) -> bool:
    """Import hashlib, hmac and asyncio, and the modules named in `also` (e.g. "psycopg"), without OpenSSL
    (see the module's docstring). Returns False, and does nothing, when OpenSSL's modules are already imported
    (too late to matter). The marks are process-wide while they are set, so an `import ssl` in another thread at
    that instant would fail: call it where no other thread imports (the TUI's command before the app starts;
    its database worker while the UI thread shows the login screen, which imports nothing more)."""
    if any(name in sys.modules for name in _MARKED):
        return False
    for name in _MARKED:
        sys.modules[name] = None  # type: ignore[assignment]  # "import X" raises ImportError: the fallback
    try:
        import importlib

        for name in _UNDER_MARKS + also:
            importlib.import_module(name)
    finally:
        for name in _MARKED:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
    return True


# the application's own packages (the libraries in site-packages were compiled when pip installed them)
APP_PACKAGES = ("workstation", "screens", "db", "printing", "devices")


def ensure_bytecode(packages: tuple[str, ...] = APP_PACKAGES) -> list[str]:
    """Compile the application's modules to bytecode (`__pycache__`) where it is missing or stale, with the
    standard library's compileall. A process that finds no bytecode compiles every module from source, which
    costs each SSH session ≈3.5 MB resident (the compiler's leftovers in the allocator's arenas) and start-up
    time; this happens where the install is editable and the sessions' account cannot write beside the code,
    or PYTHONDONTWRITEBYTECODE is set. `workstation serve-ssh` calls it once at start. Returns the packages
    that could not be compiled (a read-only install: its owner runs `python -m compileall` there)."""
    import compileall
    import importlib.util

    failed = []
    for name in packages:
        spec = importlib.util.find_spec(name)
        places = list(spec.submodule_search_locations or []) if spec is not None else []
        if not places or not all(compileall.compile_dir(p, quiet=2, workers=1) for p in places):
            failed.append(name)
    return failed
