"""An issue a user's SHACL shape found: a located ``PatientIssue`` that also names the
shape that failed, its label, its SHACL severity and the constraint component."""

from __future__ import annotations

from dataclasses import dataclass

from pedall.errors import PatientIssue


@dataclass(frozen=True)
class ShapeIssue(PatientIssue):
    """A result of a user's shapes, located like pedall's own issues (row or node, column,
    value, message). ``shape`` is the IRI of the shape that failed (for a blank property
    shape, of the named shape holding it), ``shacl_severity`` the local name of
    ``sh:resultSeverity`` (``Violation`` is an error, ``Warning`` and ``Info`` warnings)."""

    shape: str | None = None
    shape_label: str | None = None
    shacl_severity: str = "Violation"
    constraint: str | None = None  # the sh:sourceConstraintComponent, e.g. sh:MinCount...

    def as_dict(self) -> dict[str, object]:
        return {
            **super().as_dict(),
            "shape": self.shape,
            "shape_label": self.shape_label,
            "shacl_severity": self.shacl_severity,
            "constraint": self.constraint,
        }

    @property
    def shape_reference(self) -> str:
        """How a person reads which shape failed: its label and IRI, and the severity."""
        iri = f"<{self.shape}>" if self.shape else None
        named = " ".join(part for part in (self.shape_label, iri) if part) or "(unnamed)"
        return f"shape {named}, sh:{self.shacl_severity}"
