"""Import GDELT 2.0 event exports and mentions files straight into the database.

An export row (61 tab-separated columns, no header) becomes one event with ``source="gdelt"`` and
``external_id=GLOBALEVENTID``; Actor1 is its ``initiator`` and Actor2 its ``target``; it is linked to the
article at its ``SOURCEURL``, and a mentions file links events to every article that mentions them. Articles
we do not have yet become stubs. Importing a file twice changes nothing.

The package, in the order a row travels: ``files`` (plain or zipped input, line by line), ``columns`` (the
GDELT 2.0 layout), ``parse`` (rows -> typed records), ``codes`` and ``actors`` (CAMEO and FIPS codes, actor
blocks -> our actors), ``write`` (batches -> events, participants, articles, links) over ``repository``
(every statement), ``importer`` (``import_gdelt``, the loop), ``report`` (what happened) and ``cli`` (the
``geonews import gdelt`` command).

``import_gdelt`` is loaded on first use: the ``geonews`` command imports this package to register ``gdelt``
and must not pay for SQLAlchemy's models and the engine set-up (1.2 s) on every start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .codes import KNOWN_GROUPS
from .columns import EXPORT_COLUMNS, SOURCE
from .files import DEFAULT_BATCH, input_bytes, is_mentions_file
from .names import readable_name, title_from_url
from .report import ImportReport, SkippedRow

if TYPE_CHECKING:
    from .importer import import_gdelt

__all__ = [
    "DEFAULT_BATCH",
    "EXPORT_COLUMNS",
    "KNOWN_GROUPS",
    "SOURCE",
    "ImportReport",
    "SkippedRow",
    "import_gdelt",
    "input_bytes",
    "is_mentions_file",
    "readable_name",
    "title_from_url",
]


def __getattr__(name: str) -> Any:
    if name == "import_gdelt":
        from .importer import import_gdelt

        return import_gdelt
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
