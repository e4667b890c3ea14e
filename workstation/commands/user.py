"""`workstation user add|list|unlock|reset-password|deactivate` and `user key add|list|remove` (SSH public keys for
`workstation serve-ssh`) — run as the operating-system user (audited as cli:<user>)."""

from __future__ import annotations

import getpass
import sys

from workstation.errors import InputError


def register(sub) -> None:
    p = sub.add_parser("user", help="user accounts")
    s = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    a = s.add_parser("add", help="create a user (password prompted, or --password-stdin)",
                     description="Create a user account with its roles. The login, name, NIP and roles are "
                     "checked first; then the password is asked twice on the terminal (or read from the first "
                     "line of stdin with --password-stdin). Needs an existing database (`workstation db "
                     "upgrade`). Exit 0 created, 1 refused (login taken), 2 bad input.")
    a.add_argument("login")
    a.add_argument("--role", action="append", required=True,
                   help="officer, inspector, examiner, supervisor or admin; repeat or comma-separate")
    a.add_argument("--name", help="full name (default: the login)")
    a.add_argument("--nip", default="", help="the officer's NIP: 18 digits (checked before the password is asked)")
    a.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    a.add_argument("--must-change-password", action="store_true",
                   help="the user must choose a new password at the first login (you chose this one for them)")
    a.set_defaults(handler=add)
    s.add_parser("list", help="list users").set_defaults(handler=list_users)
    u = s.add_parser("unlock", help="unlock an account locked by failed logins")
    u.add_argument("login")
    u.set_defaults(handler=unlock)
    r = s.add_parser("reset-password", help="set a user's password; they must change it at the next login",
                     description="Set LOGIN's password (asked twice, or --password-stdin) and clear a lockout, as "
                     "Administration's reset does: the user's open sessions end and the next login asks for a new "
                     "password before anything else. Exit 0 done, 1 refused (unknown login), 2 bad input.")
    r.add_argument("login")
    r.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    r.set_defaults(handler=reset_password)
    d = s.add_parser("deactivate", help="disable an account: no more logins, its open sessions end at once")
    d.add_argument("login")
    d.add_argument("--reason", default="", help="why (kept in the audit log)")
    d.set_defaults(handler=deactivate)
    k = s.add_parser("key", help="SSH public keys of a user (workstation serve-ssh)")
    ks = k.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    ka = ks.add_parser("add", help="register a public key (an OpenSSH .pub file) for LOGIN")
    ka.add_argument("login")
    ka.add_argument("--file", required=True, metavar="KEY.pub", help="the public key file ('-': stdin)")
    ka.set_defaults(handler=key_add)
    kl = ks.add_parser("list", help="list the keys of LOGIN (removed ones marked)")
    kl.add_argument("login")
    kl.set_defaults(handler=key_list)
    kr = ks.add_parser("remove", help="revoke a key by its fingerprint (SHA256:...)")
    kr.add_argument("fingerprint")
    kr.set_defaults(handler=key_remove)


LOGIN_MAX = 32  # logins are 3-32 characters (services.auth.validate_login); longer is bad input, not a query


def _login(value: str) -> str:
    from workstation import inputs

    return inputs.argument(value, "login", max_len=LOGIN_MAX)


def _nip(value: str) -> str:
    """The --nip value: empty, or 18 digits (spaces as printed, 19800501 200501 1 001, are dropped); the one NIP
    parser of the screens and the service (`inputs.nip`). InputError NIP naming --nip otherwise."""
    from workstation import inputs

    return inputs.nip(inputs.argument(value, "--nip", max_len=40) if value else "", "--nip")


def _password(args) -> str:
    if args.password_stdin:
        line = sys.stdin.readline(4097)  # bounded: a password is not a stream
        if len(line) > 4096:
            raise InputError("longer than 4096 characters", field="password")
        if not line:
            raise InputError("no password on stdin", field="password")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InputError("no terminal to prompt on; use --password-stdin", field="password")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise InputError("the passwords differ", field="password")
    return first


def add(args) -> int:
    from workstation import inputs
    from workstation.commands.common import services_from
    from workstation.services.auth import parse_roles, validate_login
    from workstation.services.base import cli_actor

    login = validate_login(inputs.argument(args.login, "login", max_len=LOGIN_MAX))  # before prompting
    name = inputs.text(args.name or login, "--name", max_len=200)  # the character policy; the column's width
    nip = _nip(args.nip)  # before the password is asked for: a typo costs no typing twice
    roles = parse_roles(args.role)
    password = _password(args)
    services = services_from(args)
    info = services.auth.create_user(cli_actor(services.settings), login, name, roles, password,
                                     nip=nip, must_change_password=args.must_change_password)
    if "admin" in roles:
        services.issuance.ensure_office_key()
    print(f"created {info.login} ({', '.join(sorted(r.value for r in info.roles))})")
    return 0


def list_users(args) -> int:
    from workstation import inputs
    from workstation.commands.common import services_from
    from workstation.services.base import cli_actor

    services = services_from(args)
    for u in services.auth.list_users(cli_actor(services.settings)):
        state = "LOCKED" if u.locked else ("active" if u.active else "disabled")
        # stored text printed as text: a name's terminal escapes are shown escaped, never sent to the terminal
        print(f"{inputs.one_line(u.login):<16} {','.join(sorted(r.value for r in u.roles)):<32} {state:<8} "
              f"{inputs.one_line(u.full_name)}")
    return 0


def unlock(args) -> int:
    from workstation.commands.common import services_from
    from workstation.services.base import cli_actor

    login = _login(args.login)
    services = services_from(args)
    services.auth.unlock(cli_actor(services.settings), login)
    print(f"unlocked {login}")
    return 0


def reset_password(args) -> int:
    from workstation.commands.common import services_from
    from workstation.services.auth import validate_password
    from workstation.services.base import cli_actor

    login = _login(args.login)
    password = validate_password(_password(args))
    services = services_from(args)
    services.admin.reset_password(cli_actor(services.settings), login, password)
    print(f"password of {login} reset; it must be changed at the next login")
    return 0


def deactivate(args) -> int:
    from workstation import inputs
    from workstation.commands.common import services_from
    from workstation.services.base import cli_actor

    login = _login(args.login)
    reason = inputs.text(args.reason, "--reason", max_len=200, required=False)
    services = services_from(args)
    info = services.auth.deactivate(cli_actor(services.settings), login, reason)
    print(f"deactivated {info.login}")
    return 0


FINGERPRINT_MAX = 80  # "SHA256:" + 43 characters of base64


def _key_service(args):
    from workstation.commands.common import services_from
    from workstation.services.sshkeys import SshKeyService

    services = services_from(args)
    return services, SshKeyService(services.ctx)


def key_add(args) -> int:
    from workstation import inputs
    from workstation.domain.errors import ErrorCode
    from workstation.services.base import cli_actor
    from workstation.services.sshkeys import MAX_KEY_LINE

    login = _login(args.login)
    raw = inputs.read_file(args.file, "--file", kind="text")  # bounded ('-': stdin), errors name --file
    try:
        text = raw[:MAX_KEY_LINE + 1].decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(code=ErrorCode.NOT_UTF8, field="--file") from None
    services, keys = _key_service(args)
    info = keys.add_key(cli_actor(services.settings), login, text)
    print(f"added {info.algorithm} {info.fingerprint} for {info.login}")
    return 0


def key_list(args) -> int:
    from workstation import inputs
    from workstation.services.base import cli_actor

    login = _login(args.login)
    services, keys = _key_service(args)
    for k in keys.list_keys(cli_actor(services.settings), login):
        state = f"removed {k.revoked_at:%Y-%m-%d %H:%M}Z" if k.revoked_at else "active"
        print(f"{k.fingerprint:<51} {k.algorithm:<20} {state:<24} {k.added_at:%Y-%m-%d} "
              f"{inputs.one_line(k.comment)}")
    return 0


def key_remove(args) -> int:
    from workstation import inputs
    from workstation.services.base import cli_actor

    fp = inputs.argument(args.fingerprint, "fingerprint", max_len=FINGERPRINT_MAX)
    services, keys = _key_service(args)
    info = keys.remove_key(cli_actor(services.settings), fp)
    print(f"removed {info.fingerprint} of {info.login}")
    return 0
