"""The shape every workflow's state machine takes: one table of transitions (action, from states, to state,
roles). What a user may do on a case in a state is derived from the table and from nothing else; the service
checks the same row before it changes the case (workstation/services/cases.py `CaseOps.change`), and the screens
grey out what `Workflow.allowed` leaves out.

Each workflow declares its table in its own domain module (`workstation/domain/ecd.py`, `pib.py`, `plp.py`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from workstation.domain.codes import Role


@dataclass(frozen=True)
class Transition:
    """One row: `action` may be taken by a holder of any of `roles` on a case in one of `from_states`; it moves
    the case to `to_state` (None: the state does not change, e.g. recording a finding)."""

    action: str
    from_states: frozenset[str]
    to_state: str | None
    roles: frozenset[Role]


@dataclass(frozen=True)
class Workflow:
    """A workflow's states and its transition table.

    `states`: every state, in the order a case usually passes through them. `final`: states nothing leaves."""

    name: str
    states: tuple[str, ...]
    rows: tuple[Transition, ...]
    final: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        known = set(self.states)
        seen: set[str] = set()
        for t in self.rows:
            if t.action in seen:
                raise ValueError(f"{self.name}: action {t.action} is declared twice")
            seen.add(t.action)
            unknown = (t.from_states | ({t.to_state} if t.to_state else set())) - known
            if unknown:
                raise ValueError(f"{self.name}: {t.action} names unknown states {sorted(unknown)}")

    def __getitem__(self, action: str) -> Transition:
        for t in self.rows:
            if t.action == action:
                return t
        raise KeyError(action)

    def __iter__(self) -> Iterator[Transition]:
        return iter(self.rows)

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(t.action for t in self.rows)

    def allowed(self, state: str, roles: Iterable[Role]) -> frozenset[str]:
        """The actions a holder of `roles` may take on a case in `state` (the screens grey out the rest)."""
        have = frozenset(roles)
        return frozenset(t.action for t in self.rows if state in t.from_states and t.roles & have)

    def table(self) -> list[tuple[str, str, str, str]]:
        """The table as text rows (action, from, to, roles) for documentation and `workstation … states`."""
        return [(t.action, " ".join(sorted(t.from_states)), t.to_state or "(same)",
                 " ".join(sorted(r.value for r in t.roles))) for t in self.rows]


def workflow(name: str, states: Iterable[str],
             *rows: tuple[str, Iterable[str], str | None, Iterable[Role]],
             final: Iterable[str] = ()) -> Workflow:
    """Build a table from tuples `(action, from_states, to_state, roles)`."""
    return Workflow(name, tuple(states),
                    tuple(Transition(a, frozenset(f), t, frozenset(r)) for a, f, t, r in rows), frozenset(final))
