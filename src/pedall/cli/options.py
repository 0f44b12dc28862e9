"""What the ``pedall`` commands share: the global options, ``--data-root``, opening the
knowledge base, a choice of the names a registry lists, and writing a result to stdout or
a file.

Kept light on purpose: ``pedall --help`` imports this, so the heavy libraries (rdflib,
owlrl, pyshacl, pyoxigraph, rich, the service) are imported inside the functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pedall import RESEARCH_NOTICE
from pedall.knowledge.data_files import DataFiles

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from pedall.knowledge.base import KnowledgeBase

data_root_option = click.option(
    "--data-root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Folder with ontology/, shapes/ and queries/ (default: the installed copy).",
)

engine_option = click.option(
    "--engine",
    type=click.Choice(["fast", "reference"]),
    default="fast",
    show_default=True,
    help="fast: compiled from the shapes; reference: pyshacl with owlrl (slow, same results).",
)


class RegistryChoice(click.ParamType[str]):
    """``click.Choice`` of the names a registry lists when the command line is read (so a
    format registered after the command was built is offered too), with its metavar,
    messages and completion.

    >>> from pedall.writers.registry import result_format_names
    >>> RegistryChoice(result_format_names).convert("csv", None, None)
    'csv'
    """

    name = "choice"

    def __init__(self, names: Callable[[], Sequence[str]]) -> None:
        self.names = names

    def choice(self) -> click.Choice[str]:
        """The ``click.Choice`` of the names listed now."""
        return click.Choice(self.names())

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        return self.choice().convert(value, param, ctx)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return self.choice().get_metavar(param, ctx)

    def get_missing_message(self, param: click.Parameter, ctx: click.Context | None) -> str:
        return self.choice().get_missing_message(param, ctx)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        return self.choice().shell_complete(ctx, param, incomplete)


@dataclass(frozen=True)
class GlobalOptions:
    """The options given before the command (``pedall --no-cache query ...``), and what a
    caller that runs the commands in its own process may inject: ``knowledge`` opens the
    knowledge base of some data files (``CliRunner().invoke(main, args,
    obj=GlobalOptions(knowledge=...))``; the tests share one knowledge base so)."""

    no_cache: bool = False
    knowledge: Callable[[DataFiles], KnowledgeBase] | None = None


def data_files(data_root: Path | None) -> DataFiles:
    return DataFiles(data_root) if data_root is not None else DataFiles.default()


def global_options() -> GlobalOptions:
    context = click.get_current_context(silent=True)
    found = context.find_object(GlobalOptions) if context is not None else None
    return found if found is not None else GlobalOptions()


def knowledge_base(files: DataFiles) -> KnowledgeBase:
    """The knowledge base of ``files``, with the closure cache unless ``--no-cache`` (or
    the one the caller injected, ``GlobalOptions.knowledge``)."""
    from pedall.knowledge.base import KnowledgeBase
    from pedall.knowledge.cache import ClosureCache

    chosen = global_options()
    if chosen.knowledge is not None:
        return chosen.knowledge(files)
    cache = None if chosen.no_cache else ClosureCache.default()
    return KnowledgeBase(files, cache)


def emit(content: str, output: Path | None) -> None:
    """``content`` to stdout, or written whole to ``output`` (never left partial). It holds
    patient data, so the file is readable by its owner only (mode 0600)."""
    if output is None:
        click.echo(content, nl=False)
    else:
        from pedall.atomic_files import write_atomically

        write_atomically(content.encode("utf-8"), output, private=True)


def emit_json(document: dict[str, object], output: Path | None) -> None:
    """A JSON result document, with the research-use notice, to stdout or ``output``."""
    document["notice"] = RESEARCH_NOTICE
    emit(json.dumps(document, indent=2, ensure_ascii=False) + "\n", output)
