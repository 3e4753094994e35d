"""The search engine: a Tantivy index of articles for ranked, filtered, faceted and bucketed queries.

SQL stays the source of truth; the index holds what queries read (see schema.py) and returns ids that the
caller hydrates from SQL. docs/search-engine.md explains the whole and has the measured figures.

    reader = Reader(index_dir)                       # every process
    result = reader.search(parse("sanctions"), Filters(actor_ids=[7]), sort="relevance", limit=20)
    indexer = Indexer.try_open(index_dir)            # None: another process indexes; keep reloading
    indexer.refresh(conn, changed_ids, seq); indexer.commit(seq)
    rebuild(sync_engine, index_dir, seq=log_position)
"""

from . import layout
from .documents import ArticleDoc
from .indexer import Encoder, Indexer, NotIndexer
from .layout import IndexMeta, Status, status
from .reader import (
    FACET_FIELDS,
    INTERVALS,
    MAX_TOP,
    SORTS,
    EngineError,
    Hit,
    Reader,
    Result,
    Sort,
)
from .rebuild import RebuildReport, RebuildRunning, rebuild
from .repository import MemberSpan, article_ids_mentioning, documents_between, documents_for, member_spans
from .schema import READABLE_VERSIONS, SCHEMA_VERSION
from .snippets import Highlighter, snippets
from .translate import Filters

__all__ = [
    "FACET_FIELDS",
    "INTERVALS",
    "MAX_TOP",
    "READABLE_VERSIONS",
    "SCHEMA_VERSION",
    "SORTS",
    "ArticleDoc",
    "Encoder",
    "EngineError",
    "Filters",
    "Highlighter",
    "Hit",
    "IndexMeta",
    "Indexer",
    "MemberSpan",
    "NotIndexer",
    "Reader",
    "RebuildReport",
    "RebuildRunning",
    "Result",
    "Sort",
    "Status",
    "article_ids_mentioning",
    "documents_between",
    "documents_for",
    "layout",
    "member_spans",
    "rebuild",
    "snippets",
    "status",
]
