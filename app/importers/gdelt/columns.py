"""The GDELT 2.0 file layout: tab-separated, no header, one column per position of the codebook.

An export row has 61 columns: the event (``GLOBALEVENTID``, ``SQLDATE``), two actor blocks of ten columns
(Actor1 the initiator, Actor2 the target), the CAMEO event codes and what GDELT measures (Goldstein scale,
quad class, mentions, tone), three geography blocks, ``DATEADDED`` and ``SOURCEURL``. A mentions row has
15 or 16 columns: the event, when it was mentioned, and the mentioning document's source and URL.
"""

from __future__ import annotations

SOURCE = "gdelt"  # events.source of every imported event; events.external_id is the GLOBALEVENTID

EXPORT_COLUMNS = 61
MENTIONS_COLUMNS = (15, 16)  # GDELT 2.0 mentions rows end in an (often empty) Extras column

# Export columns (GDELT 2.0 event codebook order).
C_ID, C_SQLDATE = 0, 1
A1, A2 = 5, 15  # each actor block: Code, Name, CountryCode, KnownGroupCode, Ethnic, Rel1, Rel2, Type1-3
ACTOR_BLOCK = 10
ACTOR_FIELDS = ("code", "name", "country", "known_group", "ethnic", "religion1", "religion2")
ACTOR_TYPES = (7, 8, 9)  # offsets of Type1Code..Type3Code inside an actor block
C_IS_ROOT, C_CODE, C_BASE, C_ROOT, C_QUAD, C_GOLDSTEIN = 25, 26, 27, 28, 29, 30
C_MENTIONS, C_SOURCES, C_ARTICLES, C_TONE = 31, 32, 33, 34
C_GEO_TYPE, C_GEO_NAME, C_GEO_CC, C_GEO_ADM1, C_GEO_ADM2, C_GEO_LAT, C_GEO_LON, C_GEO_FID = range(51, 59)
C_DATEADDED, C_URL = 59, 60

# Mentions columns.
M_ID, M_EVENT_TIME, M_TIME, M_TYPE, M_SOURCE, M_IDENT = range(6)
