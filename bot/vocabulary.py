"""The words rallybot shares across features for library work: the types of library and
the classifications of library workers (with the other names people give them), used by
profiles, layoff reports and alert targeting alike."""

from __future__ import annotations

LIBRARY_TYPES = ("public", "academic", "school", "special", "other")
#: what a layoff report says happened (/layoff report's kind, and the public tracker's)
LAYOFF_KINDS = (
    "layoff",
    "furlough",
    "hours-cut",
    "position-eliminated",
    "closure",
    "hiring-freeze",
)
CLASSIFICATIONS = (
    "librarian",
    "library-assistant",
    "technician",
    "page",
    "administrator",
    "other",
)
CLASSIFICATION_ALIASES = (
    ("paraprofessional", "library-assistant"),
    ("library assistant/paraprofessional", "library-assistant"),
    ("assistant", "library-assistant"),
    ("shelver", "page"),
    ("page/shelver", "page"),
)
