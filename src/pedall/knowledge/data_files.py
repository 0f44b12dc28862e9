"""Locate the data files (ontology, shapes, queries): the one module that knows where they live.

An installed wheel carries them under ``pedall/data/``; an editable install or a bare
checkout reads them from the top of the source tree. Every other module asks here.
A caller may also pass its own root (a copy of the data files), which is how the tests
show that a changed threshold changes a classification without a code change. Which
shapes files an engine loads together (a shape group) is declared in their headers and
read by ``pedall.knowledge.shape_groups``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

DATA_KINDS = ("ontology", "shapes", "queries")
ENV_DATA_ROOT = "PEDALL_DATA_ROOT"


def _installed_root() -> Path:
    return Path(__file__).resolve().parents[1] / "data"


def _checkout_root() -> Path:
    return Path(__file__).resolve().parents[3]


def package_folder(package: str, name: str) -> Path:
    """A folder shipped inside a pedall package (``pedall.service``: ``templates``, ``static``)."""
    return Path(str(files(package).joinpath(name)))


def default_root() -> Path:
    """The folder holding ``ontology/``, ``shapes/`` and ``queries/``.

    ``$PEDALL_DATA_ROOT`` wins; then the wheel's copy; then the checkout.
    """
    override = os.environ.get(ENV_DATA_ROOT)
    if override:
        return Path(override)
    for root in (_installed_root(), _checkout_root()):
        if (root / "ontology").is_dir():
            return root
    raise FileNotFoundError("pedall data files not found (no ontology/ folder)")


@dataclass(frozen=True)
class DataFiles:
    """The data files under one root, listed by kind in a stable order."""

    root: Path

    @classmethod
    def default(cls) -> DataFiles:
        return cls(default_root())

    def folder(self, kind: str) -> Path:
        if kind not in DATA_KINDS:
            raise ValueError(f"unknown data kind {kind!r}; expected one of {DATA_KINDS}")
        return self.root / kind

    def ontology_files(self) -> list[Path]:
        return sorted(self.folder("ontology").glob("*.ttl"))

    def shape_files(self) -> list[Path]:
        return sorted(self.folder("shapes").glob("*.ttl"))

    def shape_file(self, name: str) -> Path:
        return self.folder("shapes") / name

    def shape_group(self, group: str) -> list[Path]:
        """The shapes files of one group (``classification``, ``data-quality``): the files
        whose header declares ``pedall:shapeGroup`` with that name and the shapes files
        they import, imported files first. ``DataFileError`` for a group no file declares
        (naming those declared) or an import no file declares."""
        # Imported here: only the commands that classify or validate read the headers.
        from pedall.knowledge.shape_groups import shape_group

        return shape_group(self.folder("shapes"), group)

    def shape_groups(self) -> dict[str, list[Path]]:
        """Every shape group the shapes files declare, by name, with its files."""
        from pedall.knowledge.shape_groups import shape_groups

        return shape_groups(self.folder("shapes"))

    def query_files(self) -> list[Path]:
        return sorted(self.folder("queries").glob("*.rq"))

    def qc_query_files(self) -> list[Path]:
        return sorted((self.folder("queries") / "qc").glob("*.rq"))
