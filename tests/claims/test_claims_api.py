from __future__ import annotations

import pytest

from tests import factories


def test_claims_and_propositions(client, write_headers):
    kim = factories.actor(client, write_headers, kind="person", name="Claim Speaker")
    zel = factories.actor(client, write_headers, kind="person", name="Other Speaker")
    nk = factories.actor(client, write_headers, kind="country", name="Claimland")
    art = factories.article(client, write_headers)
    r = client.post(
        "/v1/propositions",
        json={"text": "Claimland sends troops", "key": "claimland-troops"},
        headers=write_headers,
    )
    assert r.status_code == 201
    prop = r.json()
    c1 = client.post(
        "/v1/claims",
        json={
            "speaker": kim["slug"],
            "text": "Maybe civilians",
            "stance": "doubts",
            "about": [nk["slug"]],
            "article_id": art["id"],
            "said_on": "2024-10-18",
            "proposition": "claimland-troops",
        },
        headers=write_headers,
    )
    assert c1.status_code == 201, c1.text
    c2 = client.post(
        "/v1/claims",
        json={
            "speaker": zel["id"],
            "text": "Troops are coming",
            "stance": "asserts",
            "about": [nk["id"]],
            "article_id": art["id"],
            "proposition": prop["id"],
        },
        headers=write_headers,
    )
    assert c2.status_code == 201
    p = client.get(f"/v1/propositions/{prop['id']}").json()
    assert p["stance_counts"] == {"asserts": 1, "denies": 0, "suggests": 0, "doubts": 1}
    assert [c["speaker"]["slug"] for c in p["by_stance"]["doubts"]] == [kim["slug"]]
    ids = lambda **q: [c["id"] for c in client.get("/v1/claims", params=q).json()["items"]]  # noqa: E731
    assert ids(about=nk["slug"]) == [c1.json()["id"], c2.json()["id"]]
    assert ids(speaker=kim["slug"]) == [c1.json()["id"]]
    assert ids(stance="asserts", proposition=prop["id"]) == [c2.json()["id"]]
    assert [c["id"] for c in client.get(f"/v1/articles/{art['id']}").json()["claims"]] == ids(
        article=art["id"]
    )
    r = client.patch(f"/v1/claims/{c1.json()['id']}", json={"stance": "suggests"}, headers=write_headers)
    assert r.json()["stance"] == "suggests"
    assert client.delete(f"/v1/claims/{c1.json()['id']}", headers=write_headers).status_code == 204
    assert client.get(f"/v1/claims/{c1.json()['id']}").status_code == 404
    r = client.post(
        "/v1/claims",
        json={"speaker": kim["slug"], "text": "x", "stance": "shouts", "article_id": art["id"]},
        headers=write_headers,
    )
    assert r.status_code == 422
    r = client.post(
        "/v1/claims",
        json={"speaker": kim["slug"], "text": "x", "stance": "asserts", "article_id": 999999},
        headers=write_headers,
    )
    assert r.status_code == 422


def test_a_claim_deleted_while_it_is_updated_is_a_409(client, write_headers, monkeypatch):
    """PATCH reads the claim, then writes it: a DELETE committed in between (schemathesis's stateful run
    on PostgreSQL) left the UPDATE matching no row, which was a 500. Here the row goes in the PATCH's own
    transaction, just after its read."""
    from sqlalchemy import text

    from app.claims import repository

    claim_id = _claim_soon(client, write_headers, "Stale Speaker")
    get_orm = repository.get_orm

    async def read_then_deleted(session, cid):
        claim = await get_orm(session, cid)
        # As another request's DELETE would: a plain statement, which the session's objects know nothing of.
        await session.execute(text("DELETE FROM claims WHERE id = :id"), {"id": cid})
        return claim

    monkeypatch.setattr(repository, "get_orm", read_then_deleted)
    r = client.patch(f"/v1/claims/{claim_id}", json={"text": "Later"}, headers=write_headers)
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    monkeypatch.undo()
    assert client.get(f"/v1/claims/{claim_id}").json()["text"] == "Soon"  # nothing of the PATCH was kept


@pytest.mark.parametrize("method", ["delete", "get", "patch"])
def test_a_claim_deleted_after_its_path_was_checked_is_a_404(client, write_headers, monkeypatch, method):
    """The path's dependency finds the claim, then the service reads it again: a DELETE committed in
    between (schemathesis's stateful run on PostgreSQL found it for DELETE) left that read empty, which
    an assert turned into a 500. Here the dependency's check passes and the row is gone after it."""
    from app.claims import dependencies

    claim_id = _claim_soon(client, write_headers, "Gone Speaker")
    assert client.delete(f"/v1/claims/{claim_id}", headers=write_headers).status_code == 204

    # The check as it passed before the other request's DELETE.
    monkeypatch.setattr(dependencies.repository, "exists_id", lambda *a: _true())
    kwargs = {"json": {"text": "Later"}} if method == "patch" else {}
    r = getattr(client, method)(f"/v1/claims/{claim_id}", headers=write_headers, **kwargs)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def _true() -> bool:
    return True


def _claim_soon(client, headers, speaker_name: str) -> int:
    """A new person's claim "Soon" (asserts) in a new article; its id."""
    speaker = factories.actor(client, headers, kind="person", name=speaker_name)
    art = factories.article(client, headers)
    said = {"speaker": speaker["slug"], "text": "Soon", "stance": "asserts", "article_id": art["id"]}
    made = client.post("/v1/claims", json=said, headers=headers)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])
