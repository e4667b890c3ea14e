"""A barrier opened for one vehicle closes by itself (#11 item 9): on the vehicle detector's passage (ASCII
`LOOP …` lines, a Modbus discrete input), else after `close_after` seconds while nothing is under the arm;
any other command cancels it; the close is a command like any other, reported to `on_command` with its
reason."""

from __future__ import annotations

import os
import time

import pytest

from devices.events import CONNECTED, BarrierLoop, BarrierStatus
from devices.sim.simulators import BarrierSim, ModbusBarrierSim
from workstation.errors import InputError

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals are POSIX only")


@pytest.fixture
def link(tmp_path):
    return str(tmp_path / "gate")


def _ascii(link, **kw):
    return {"name": "gate", "kind": "barrier", "protocol": "ascii", "port": link, "poll_interval": 0.05, **kw}


def _commands(collector):
    return [(c, r.ok, r.reason) for _, c, r in collector.commands]


def _last_state(collector):
    events = collector.of(BarrierStatus, "gate")
    return events[-1].state if events else None


def test_ascii_barrier_closes_when_the_vehicle_has_passed(collector, make_manager, link):
    with BarrierSim(link=link, protocol="ascii", travel=0.05, auto_pass=0.2) as sim:
        m = make_manager([_ascii(link)])
        collector.wait_health("gate", CONNECTED)
        started = time.monotonic()
        assert m.barrier_command("gate", "open", close_after=30, reason="PLP 000001: CSQU3054383").ok
        collector.wait(lambda: len(collector.commands) == 2, what="the automatic close")
        assert time.monotonic() - started < 10  # the passage, not the 30 s
        assert _commands(collector) == [("open", True, "PLP 000001: CSQU3054383"), ("close", True, "passage")]
        assert [e.occupied for e in collector.of(BarrierLoop, "gate")] == [True, False]
        collector.wait(lambda: _last_state(collector) == "closed", what="closed, as the device reports")
        assert sim.mechanism.commands == ["open", "close"]
        assert m.health("gate").detail == "closed"


def test_without_a_vehicle_it_closes_after_the_time(collector, make_manager, link):
    with BarrierSim(link=link, protocol="ascii", travel=0.05) as sim:
        m = make_manager([_ascii(link)])
        collector.wait_health("gate", CONNECTED)
        assert m.open_barrier("gate", close_after=0.3).ok
        collector.wait(lambda: len(collector.commands) == 2, what="the automatic close")
        assert _commands(collector) == [("open", True, None), ("close", True, "timeout")]
        assert sim.mechanism.commands == ["open", "close"]


def test_it_never_closes_on_a_vehicle_under_the_arm(collector, make_manager, link):
    with BarrierSim(link=link, protocol="ascii", travel=0.05) as sim:
        m = make_manager([_ascii(link)])
        collector.wait_health("gate", CONNECTED)
        assert m.open_barrier("gate", close_after=0.2).ok
        sim.do_loop("occupied")  # a slow truck stops under the arm past the time
        collector.wait(lambda: collector.of(BarrierLoop, "gate"), what="loop occupied")
        time.sleep(0.6)
        assert sim.mechanism.commands == ["open"]
        sim.do_loop("clear")
        collector.wait(lambda: len(collector.commands) == 2, what="the close once it left")
        assert _commands(collector)[-1] == ("close", True, "passage")


def test_another_command_cancels_the_automatic_close(collector, make_manager, link):
    with BarrierSim(link=link, protocol="ascii", travel=0.05) as sim:
        m = make_manager([_ascii(link)])
        collector.wait_health("gate", CONNECTED)
        assert m.open_barrier("gate", close_after=0.2).ok
        assert m.barrier_command("gate", "close", reason="refused: MSCU6639871").ok
        time.sleep(0.5)
        assert _commands(collector) == [("open", True, None), ("close", True, "refused: MSCU6639871")]
        assert sim.mechanism.commands == ["open", "close"]
        with pytest.raises(InputError):
            m.barrier_command("gate", "close", close_after=5)


def test_lcus_board_without_feedback_closes_after_the_time(collector, make_manager, link):
    with BarrierSim(link=link, protocol="lcus", travel=0) as sim:
        m = make_manager([{"name": "gate", "kind": "barrier", "protocol": "lcus", "port": link}])
        collector.wait_health("gate", CONNECTED)
        assert m.open_barrier("gate", close_after=0.2).ok
        collector.wait(lambda: sim.mechanism.commands == ["open", "close"], what="closed at the board")
        assert _commands(collector)[-1] == ("close", True, "timeout")
        assert not m.health("gate").confirmed  # the screen says it is only the commanded state


def test_modbus_barrier_reads_its_loop_from_a_discrete_input(collector, make_manager, link):
    with ModbusBarrierSim(link=link, travel=0.05, auto_pass=0.2) as sim:
        m = make_manager(
            [{"name": "gate", "kind": "barrier", "protocol": "modbus", "port": link, "baud": 115200,
              "poll_interval": 0.05, "modbus": {"pulse_ms": 20, "timeout": 0.5, "loop_input": 0}}]
        )
        collector.wait(lambda: _last_state(collector) == "closed", what="closed")
        assert m.open_barrier("gate", close_after=30).ok
        collector.wait(lambda: len(collector.commands) == 2, what="the automatic close")
        assert _commands(collector) == [("open", True, None), ("close", True, "passage")]
        assert [e.occupied for e in collector.of(BarrierLoop, "gate")] == [True, False]
        assert sim.mechanism.commands == ["open", "close"]
