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


def ensure_bytecode(packages: tuple[str, ...] = APP_PACKAGES, optimize: int | tuple[int, ...] = 0) -> list[str]:
    """Compile the application's modules to bytecode (`__pycache__`) where it is missing or stale, with the
    standard library's compileall. A process that finds no bytecode compiles every module from source, which
    costs each SSH session ≈3.5 MB resident (the compiler's leftovers in the allocator's arenas) and start-up
    time; this happens where the install is editable and the sessions' account cannot write beside the code,
    or PYTHONDONTWRITEBYTECODE is set. `workstation serve-ssh` calls it once at start. Returns the packages
    that could not be compiled (a read-only install: its owner runs `python -m compileall` there).
    `optimize`: the levels to write (0: plain; 2: for processes started with -OO)."""
    import compileall
    import importlib.util

    failed = []
    for name in packages:
        spec = importlib.util.find_spec(name)
        places = list(spec.submodule_search_locations or []) if spec is not None else []
        levels = optimize if isinstance(optimize, tuple) else (optimize,)
        if not places or not all(compileall.compile_dir(p, quiet=2, workers=1, optimize=level)
                                 for p in places for level in levels):
            failed.append(name)
    return failed


# -OO for the sessions' processes: a module's docstrings are a third of its code objects' size (and asserts go
# too; ours only narrow types for mypy). 20 sessions on PostgreSQL: 87.2 → 81.8 MB each (bench/README.md).
SESSION_OPTIMIZE = 2


def optimize_flags(level: int) -> list[str]:
    """The interpreter's flags for an optimisation level: [] for 0, ["-O"] for 1, ["-OO"] for 2."""
    return ["-" + "O" * level] if level else []


# what a session imports, beyond what these pull in, is compiled with the packages it comes from
SESSION_IMPORTS = ("workstation.cli", "workstation.commands.tui", "screens.app", "screens.home",
                   "workstation.services", "sqlalchemy.dialects.sqlite.pysqlite", "sqlalchemy.dialects.postgresql.psycopg",
                   "psycopg")


def _library_dirs() -> list[str]:
    import sysconfig

    return sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}, key=len, reverse=True)


def warm_session_bytecode(imports: tuple[str, ...] = SESSION_IMPORTS, optimize: int = SESSION_OPTIMIZE) -> list[str]:
    """Import what a session imports and write the bytecode of optimisation level `optimize` (2: `-OO`) for
    every module that brought in, and for the whole library packages they belong to (their later imports);
    the application's packages are compiled whole. Runs in a process started with that level
    (`prepare_session_bytecode`). Returns the module files (and application packages) whose bytecode could
    not be written (a directory the account cannot write): a session would compile them from source each time."""
    import compileall
    import importlib
    import importlib.machinery

    for name in imports:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional driver that is not installed
            continue
    failed: list[str] = []
    packages: set[str] = set()
    libraries = _library_dirs()
    for module in list(sys.modules.values()):
        spec = getattr(module, "__spec__", None)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader) or not spec.origin:
            continue  # built in, frozen, an extension or loaded from bytecode alone
        if not compileall.compile_file(spec.origin, quiet=2, optimize=optimize):
            failed.append(spec.origin)
        for lib in libraries:
            if spec.origin.startswith(lib + "/"):
                top = spec.origin[len(lib) + 1:].split("/", 1)
                if len(top) == 2:  # a package, not a single-file module
                    packages.add(f"{lib}/{top[0]}")
                break
    for place in sorted(packages):
        compileall.compile_dir(place, quiet=2, optimize=optimize, workers=1)  # a file that fails is not imported
    failed += ensure_bytecode(optimize=(0, optimize))  # an application package that could not be written
    return failed


def prepare_session_bytecode(timeout: float = 600.0) -> tuple[int, list[str]]:
    """What `workstation serve-ssh` does once at start for its sessions: `warm_session_bytecode` in a process of
    level SESSION_OPTIMIZE. Returns (the level the sessions are to run at, what could not be compiled): the
    level is SESSION_OPTIMIZE when every module a session imports has its bytecode, else 0 (a session at
    level 2 would compile those from source: more memory, not less)."""
    import json
    import subprocess

    try:
        done = subprocess.run([sys.executable, *optimize_flags(SESSION_OPTIMIZE), "-m", "workstation.footprint"], capture_output=True,
                              text=True, timeout=timeout, check=False)
        failed = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        failed = None
    if failed is None:
        return 0, ["the bytecode warm-up did not finish"]
    return (SESSION_OPTIMIZE if not failed else 0), list(failed)


if __name__ == "__main__":  # the warm-up process of prepare_session_bytecode; an owner may run it by hand
    import json as _json

    _missing = warm_session_bytecode()
    sys.stderr.write(f"could not write the bytecode of {len(_missing)} files: {', '.join(_missing[:5])}\n"
                     if _missing else "bytecode for the sessions' level written\n")
    print(_json.dumps(_missing))  # the last line: what prepare_session_bytecode reads
