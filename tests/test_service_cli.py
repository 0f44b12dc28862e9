"""The ``pedall serve`` command line: its options and their bounds (no server started)."""

from __future__ import annotations

from click.testing import CliRunner

from pedall.cli.main import main


def test_serve_help_names_its_options() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--query-timeout", "--workers", "--max-body-bytes"):
        assert option in result.output
    assert "127.0.0.1" in result.output


def test_serve_refuses_a_zero_time_limit() -> None:
    result = CliRunner().invoke(main, ["serve", "--query-timeout", "0"])
    assert result.exit_code == 2
    assert "--query-timeout" in result.output
