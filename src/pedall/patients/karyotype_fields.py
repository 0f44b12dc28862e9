"""A karyotype cell read into the patient's other fields.

From an ISCN karyotype (``pedall.patients.karyotype``) the readers take the modal
chromosome number into the count field, the lesions its rearrangements and gains name into
the recorded lesions (a cryptic ETV6::RUNX1 recorded beside a normal karyotype still
counts), and each constitutional change the ontology gives a meaning (``+21c``: Down
syndrome) into its field. What a change means is data (``pedall:modalNumberIn``,
``pedall:constitutionalChange``, ``pedall:iscnPattern``), not Python. A value the karyotype
gives that disagrees with one given in its own column is an error naming both columns.
"""

from __future__ import annotations

from pedall.errors import KaryotypeError
from pedall.patients.karyotype import karyotype_lesions, parse_karyotype
from pedall.patients.model import KARYOTYPE_COLUMN, PatientModel

# A record's known values by property IRI (as the readers build them).
Values = dict[str, object]
Problem = tuple[str, str, str]  # column, value, message


def apply_karyotype(
    text: str, values: Values, lesions: list[str], model: PatientModel
) -> list[Problem]:
    """Add what the karyotype ``text`` gives to ``values`` and ``lesions`` (in place);
    the problems found, each as (column, value, message)."""
    written = text.strip()
    if not written:
        return []
    try:
        karyotype = parse_karyotype(written)
    except KaryotypeError as error:
        return [(KARYOTYPE_COLUMN, written, f"expected an ISCN karyotype: {error}")]
    problems: list[Problem] = [
        (KARYOTYPE_COLUMN, written, f"the karyotype does not add up: {message}")
        for message in karyotype.count_errors
    ]
    meaning = model.karyotype
    columns = {f.property: f.column for f in model.fields}
    count = karyotype.chromosome_count
    if meaning.modal_number is not None and count is not None:
        problems += _agree(values, meaning.modal_number, count, written, columns)
    for change, prop in meaning.constitutional.items():
        if change in (c.lower() for c in karyotype.constitutional):
            problems += _agree(values, prop, True, written, columns, change)
    for lesion in karyotype_lesions(karyotype, model.lesions).lesions:
        if lesion not in lesions:
            lesions.append(lesion)
    return problems


def _agree(
    values: Values,
    prop: str,
    derived: object,
    written: str,
    columns: dict[str, str],
    because: str | None = None,
) -> list[Problem]:
    """Set ``prop`` to what the karyotype gives, or a problem when its own column says
    otherwise."""
    given = values.get(prop)
    if given is None:
        values[prop] = derived
        return []
    if given == derived and type(given) is type(derived):
        return []
    column = columns.get(prop, prop)
    shown = "true" if derived is True else str(derived)
    reason = f" ({because})" if because else ""
    return [
        (
            KARYOTYPE_COLUMN,
            written,
            f"the karyotype gives {column} = {shown}{reason}, but {column} is "
            f"{_text(given)}; correct one of {KARYOTYPE_COLUMN} and {column}",
        )
    ]


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)
