"""The near-duplicate lookup reads a bounded number of stored articles per simhash band value (the oldest
first), whatever the corpus: on one whose simhash bits are far from uniform, reading every article that
shares a band value with a batch read most of the table (bench/data/1M.db: 941k rows for 500 articles)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.articles import repository
from app.articles.service import _near_duplicates
from app.config import Settings
from app.db import make_sync_engine
from app.models import Article


def _bands(simhash: int) -> dict[str, int]:
    u = simhash & (2**64 - 1)
    return {f"sh{b}": (u >> (16 * b)) & 0xFFFF for b in range(4)}


def _signed(u: int) -> int:
    return u - 2**64 if u >= 2**63 else u


def _store(session: Session, simhashes: list[int], duplicate_of: dict[int, int] | None = None) -> list[int]:
    arts = [
        Article(
            url=f"https://example.com/nd/{i}",
            canonical_url=f"https://example.com/nd/{i}",
            title=f"t{i}",
            body="",
            source="example.com",
            published_at=datetime(2024, 1, 1),
            simhash=_signed(sim),
            **_bands(sim),
        )
        for i, sim in enumerate(simhashes)
    ]
    session.add_all(arts)
    session.flush()
    for pos, orig in (duplicate_of or {}).items():
        arts[pos].duplicate_of_id = arts[orig].id
    session.flush()
    return [a.id for a in arts]


class _Prepared:
    def __init__(self, index: int, simhash: int) -> None:
        self.index = index
        self.values = {"simhash": _signed(simhash), **_bands(simhash)}


def test_each_band_value_reads_only_the_oldest_articles_holding_it(db_url):
    engine = make_sync_engine(Settings(database_url=db_url, _env_file=None))  # type: ignore[call-arg]
    try:
        with Session(engine) as session:
            # Ten articles share band 0's value 0x1234 (each differs elsewhere); the second is a duplicate.
            sims = [0x1234 | (i + 1) << 16 | (i + 7) << 32 | (i + 3) << 48 for i in range(10)]
            ids = _store(session, sims, duplicate_of={1: 0})
            found = repository.near_duplicate_candidates(session, [{0x1234}, set(), set(), set()], cap=4)
            # The four oldest are read, in id order, as rows (band, value, id, simhash); the duplicate
            # among them too: duplicates_among tells which.
            assert found[:, 2].tolist() == ids[:4]
            assert found[:, :2].tolist() == [[0, 0x1234]] * 4
            assert found[:, 3].tolist() == [_signed(sims[i]) for i in range(4)]
            assert repository.duplicates_among(session, ids[:4]) == {ids[1]}
            # Without a cap that small, every holder is read.
            assert len(repository.near_duplicate_candidates(session, [{0x1234}, set(), set(), set()])) == 10
            # Several bands at once: an article holding two of the values is listed for each.
            both = repository.near_duplicate_candidates(
                session, [{0x1234}, {_bands(sims[5])["sh1"]}, set(), set()], cap=100
            )
            assert [(r[2], r[0]) for r in both.tolist() if r[2] == ids[5]] == [(ids[5], 0), (ids[5], 1)]
            assert both[:, 2].tolist() == sorted(both[:, 2].tolist())
            session.rollback()
    finally:
        engine.dispose()


def test_a_near_copy_is_found_through_any_of_its_bands(db_url):
    engine = make_sync_engine(Settings(database_url=db_url, _env_file=None))  # type: ignore[call-arg]
    try:
        with Session(engine) as session:
            original = 0x0F0F_1234_ABCD_5678
            # More articles than a band value is read for share the original's band 1 value and come
            # before it; none is near it (band 3 alone differs in 16 bits).
            assert repository.NEAR_DUPLICATE_BUCKET < 150
            crowd = [(0xFFFF ^ i) | 0xABCD << 16 | (0x5555 + i) << 32 | 0xF0F0 << 48 for i in range(150)]
            ids = _store(session, [*crowd, original])
            # A copy three bits away, in bands 0 and 2: it shares bands 1 and 3 with the original. Band 1's
            # value is read for its oldest holders only (the crowd), band 3's finds the original.
            copy = original ^ (1 << 0) ^ (1 << 33) ^ (1 << 40)
            assert _near_duplicates(session, [_Prepared(0, copy)]) == {0: ids[-1]}  # type: ignore[list-item]
            # Four bits away is no near-duplicate.
            assert _near_duplicates(session, [_Prepared(0, copy ^ (1 << 60))]) == {}  # type: ignore[list-item]
            # The price of the bound: a copy whose only shared band value has more older holders than
            # are read is not found (here: three bits off in bands 0, 2 and 3).
            hidden = original ^ (1 << 0) ^ (1 << 33) ^ (1 << 50)
            assert _near_duplicates(session, [_Prepared(0, hidden)]) == {}  # type: ignore[list-item]
            session.rollback()
    finally:
        engine.dispose()


def test_the_oldest_close_original_is_found_not_a_close_duplicate(db_url):
    engine = make_sync_engine(Settings(database_url=db_url, _env_file=None))  # type: ignore[call-arg]
    try:
        with Session(engine) as session:
            base = 0x0F0F_1234_ABCD_5678
            far = base ^ 0xFFFF_0000_0000_0000 ^ 0xFF  # shares band 1 and 2 only, 24 bits away
            # Oldest first: a far original, a close article marked as a copy of it, two close originals
            # (one and two bits away), and the batch article's own two-bit neighbour in band 0 only.
            ids = _store(session, [far, base ^ 1, base ^ 2, base ^ 6], duplicate_of={1: 0})
            found = _near_duplicates(  # type: ignore[arg-type]
                session, [_Prepared(7, base), _Prepared(8, base ^ 0xF000_0000_0000_000F)]
            )
            # Article 7: the close copy (ids[1]) is passed over for the oldest close original. Article 8 is
            # 8 bits from all of them: none.
            assert found == {7: ids[2]}
            session.rollback()
    finally:
        engine.dispose()
