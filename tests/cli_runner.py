"""Running ``pedall`` in the test process with a knowledge base injected (the ``cli``
fixture of conftest): no monkeypatching, and the slow inference done once a session."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import CliRunner, Result

from pedall.cli.main import main
from pedall.cli.options import GlobalOptions
from pedall.knowledge.base import KnowledgeBase
from pedall.knowledge.data_files import DataFiles

CliInvoke = Callable[..., Result]


def cli_with(knowledge_base: KnowledgeBase) -> CliInvoke:
    """``run(*args, stdin=None)``: ``pedall ARGS...`` with ``knowledge_base`` for its data
    files (any other data root gets its own), on a terminal 200 columns wide."""

    def shared(files: DataFiles) -> KnowledgeBase:
        return knowledge_base if files == knowledge_base.files else KnowledgeBase(files)

    def run(*args: str, stdin: str | bytes | None = None) -> Result:
        return CliRunner().invoke(
            main,
            list(args),
            input=stdin,
            env={"COLUMNS": "200"},
            obj=GlobalOptions(knowledge=shared),
        )

    return run
