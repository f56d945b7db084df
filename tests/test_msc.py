"""Message sequence charts: the terminal chart of the KB deadlock, lost messages, and the picture."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

from leasecheck.checker.cli.main import main
from leasecheck.checker.explicit.engine import explicit_report
from leasecheck.checker.render.chart import save_chart
from leasecheck.checker.render.msc import Arrow, Note, build_chart, render_chart_text
from leasecheck.checker.replay import successor_by
from leasecheck.checker.results import Step, Trace
from leasecheck.model.dhcp import Config, dhcp_system
from leasecheck.properties.dhcp import dhcp_model

GOLDEN = Path(__file__).parent / "golden" / "msc_nt35_1x1_recovery.txt"


def nt35_deadlock_chart():
    cfg = Config(variant="nt35")
    report, _ = explicit_report(dhcp_model(cfg), ["recovery"])
    (result,) = report.results
    assert result.trace is not None
    return build_chart(dhcp_system(cfg), result.trace, "nt35 1x1: recovery violated")


def test_the_terminal_chart_of_the_nt35_deadlock_matches_the_golden_text() -> None:
    assert render_chart_text(nt35_deadlock_chart()) == GOLDEN.read_text(encoding="utf-8")


def test_the_chart_has_a_lane_per_client_the_server_and_the_administrator() -> None:
    chart = build_chart(dhcp_system(Config(clients=2, addresses=2)), Trace((Step(None, (), "", dhcp_system(Config(clients=2, addresses=2)).initial),)))
    assert chart.lanes == ("client 0", "client 1", "server", "admin")


def test_the_deadlock_reads_as_the_kb_describes_it() -> None:
    chart = nt35_deadlock_chart()
    client, server, admin = 0, 1, 2
    arrows = [r for r in chart.rows if isinstance(r, Arrow)]
    notes = [(r.lane, r.text) for r in chart.rows if isinstance(r, Note)]
    assert Arrow(6, client, server, "REQUEST(RENEWING,0)") in arrows
    assert (admin, "deletes lease 0") in notes
    assert (server, "silent (stale record)") in notes
    assert (client, "error shown") in notes
    assert chart.loop == (13, 15)
    loop_rows = [r for r in chart.rows if chart.in_loop(r.step)]
    assert Arrow(13, client, server, "DISCOVER") in loop_rows
    assert not any(isinstance(r, Arrow) and r.receiver == client for r in loop_rows)  # no OFFER ever comes


def _run_of(cfg: Config, *actions: tuple[str, tuple[int, ...]]) -> Trace:
    system = dhcp_system(cfg)
    steps = [Step(None, (), "", system.initial)]
    for name, params in actions:
        (nxt,) = successor_by(system, steps[-1].state, name, params)
        steps.append(Step(name, params, "", nxt))
    return Trace(tuple(steps))


def test_a_lost_message_is_an_arrow_that_does_not_arrive() -> None:
    cfg = Config(variant="nt40", losses=1)
    chart = build_chart(dhcp_system(cfg), _run_of(cfg, ("Discover", (0,)), ("LoseToServer", (0,))))
    assert Arrow(2, 0, 1, "DISCOVER", lost=True) in chart.rows
    assert "│──✗ DISCOVER" in render_chart_text(chart)


def test_the_chart_is_drawn_as_svg(tmp_path: Path) -> None:
    path = tmp_path / "deadlock.svg"
    save_chart(nt35_deadlock_chart(), path)
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert path.stat().st_size > 10_000


def test_check_draws_a_chart_and_refuses_unknown_picture_formats(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    good = tmp_path / "c.png"
    assert main(["check", "--property", "recovery", "--quiet", "--chart", str(good)], out, err) == 1
    assert good.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    err = io.StringIO()
    assert main(["check", "--property", "recovery", "--quiet", "--chart", str(tmp_path / "c.gif")], out, err) == 2
    assert "use a file ending in .svg" in err.getvalue()


def test_a_release_is_an_arrow_to_the_server_which_frees_the_lease() -> None:
    cfg = Config(variant="nt35")
    bound = [("Discover", (0,)), ("ServeDiscover", (0,)), ("RecvOffer", (0,)), ("ServeRequest", (0,)), ("RecvAck", (0,))]
    chart = build_chart(dhcp_system(cfg), _run_of(cfg, *bound, ("Release", (0,)), ("ServeRelease", (0,))))
    assert Arrow(6, 0, 1, "RELEASE(0)") in chart.rows
    assert Note(6, 0, "→ INIT") in chart.rows
    assert Note(7, 1, "frees lease 0") in chart.rows
