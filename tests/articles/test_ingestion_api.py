"""Ingestion as a client sees it: cleaning, linking with offsets, URL variants, bulk accounting."""

from __future__ import annotations

import orjson

ARTICLE = {
    "url": "https://www.example-news.com/world/asia/story-123/?utm_source=x&utm_medium=y#comments",
    "title": "Pyongyang and Moscow deepen ties",
    "body": (
        "<html><body><nav>Home | World | Asia</nav><p>spot_imgspot_img</p>"
        "<p>SEOUL: Pyongyang and Moscow signed new deals on Tuesday, while North Korean "
        "officials met Russian envoys. The Kremlin said the\ntalks went well.</p>"
        "<p>Washington and Seoul said they were watching closely.</p>"
        "<p>Share this:</p><footer>Subscribe to our newsletter</footer></body></html>"
    ),
    "published_at": "2024-10-20T08:00:00Z",
}


def test_posted_article_is_cleaned_and_linked_with_offsets(client, write_headers):
    r = client.post("/v1/articles", json=ARTICLE, headers=write_headers)
    assert r.status_code == 201, r.text
    art = r.json()
    body = art["body"]
    assert "spot_img" not in body and "Share this" not in body and "Subscribe" not in body and "<" not in body
    assert "the talks went well" in body
    assert art["canonical_url"] == "https://www.example-news.com/world/asia/story-123"
    assert art["source"] == "example-news.com"
    assert art["language"] == "en"
    found = {(m["text"], m["actor"]["slug"]) for m in art["mentions"]}
    assert {
        ("Pyongyang", "north-korea"),
        ("Moscow", "russia"),
        ("North Korean", "north-korea"),
        ("Russian", "russia"),
        ("The Kremlin", "russia"),
        ("Seoul", "south-korea"),
    } <= found
    for m in art["mentions"]:
        assert body[m["start"] : m["end"]] == m["text"]
    ids = [a["id"] for a in client.get("/v1/articles", params={"actor": "north-korea"}).json()["items"]]
    assert art["id"] in ids


def test_url_variants_and_same_content_do_not_duplicate(client, write_headers):
    first = client.post("/v1/articles", json=ARTICLE, headers=write_headers).json()
    for url in (
        "HTTPS://WWW.EXAMPLE-NEWS.COM:443/world/asia/story-123",
        "https://www.example-news.com/world/asia/story-123/?fbclid=abc",
        "https://www.example-news.com/world/asia/story-123?ref=homepage#top",
    ):
        r = client.post("/v1/articles", json={**ARTICLE, "url": url}, headers=write_headers)
        assert r.status_code == 200, (url, r.text)
        assert r.json()["id"] == first["id"]
    # The same content under an unrelated URL is the same article too.
    r = client.post(
        "/v1/articles", json={**ARTICLE, "url": "https://mirror.example.org/copy"}, headers=write_headers
    )
    assert r.status_code == 200 and r.json()["id"] == first["id"]
    assert len(client.get("/v1/articles", params={"source": "example-news.com"}).json()["items"]) == 1


def test_changed_content_under_same_url_updates(client, write_headers):
    first = client.post("/v1/articles", json=ARTICLE, headers=write_headers).json()
    changed = {**ARTICLE, "body": "<p>Update: Kyiv says Pyongyang sent more troops.</p>"}
    r = client.post("/v1/articles", json=changed, headers=write_headers)
    assert r.status_code == 200 and r.json()["id"] == first["id"]
    assert r.json()["body"] == "Update: Kyiv says Pyongyang sent more troops."
    assert {m["actor"]["slug"] for m in r.json()["mentions"]} == {"ukraine", "north-korea"}


def test_near_duplicate_is_linked_to_its_original(client, write_headers):
    body = (
        "Officials from South Korea, Japan, Australia and New Zealand attended the NATO defence ministers "
        "meeting in Brussels for the first time this week, underscoring growing concern about the war in "
        "Ukraine and about military cooperation between Russia and North Korea. Ministers discussed "
        "cybersecurity, disinformation and the supply of ammunition, and agreed to meet again next year."
    )
    original = client.post(
        "/v1/articles",
        json={
            "url": "https://wire.example.com/a1",
            "title": "IP4 at NATO",
            "body": body,
            "published_at": "2024-10-18",
        },
        headers=write_headers,
    ).json()
    copy = client.post(
        "/v1/articles",
        json={
            "url": "https://syndicate.example.net/b7",
            "title": "IP4 at NATO",
            "body": body.replace("this week", "on Thursday"),
            "published_at": "2024-10-18",
        },
        headers=write_headers,
    )
    assert copy.status_code == 201
    assert copy.json()["duplicate_of"] == original["id"]
    unrelated = client.post(
        "/v1/articles",
        json={
            "url": "https://wire.example.com/a2",
            "title": "Rain",
            "body": "Heavy rain fell over Lisbon all day, flooding streets.",
            "published_at": "2024-10-18",
        },
        headers=write_headers,
    )
    assert unrelated.json()["duplicate_of"] is None


def test_language_detected_or_kept(client, write_headers):
    fr = client.post(
        "/v1/articles",
        json={
            "url": "https://lemonde.example.fr/x",
            "title": "La Corée du Nord et la Russie",
            "body": "La Corée du Nord pourrait fournir du personnel civil plutôt que des soldats à la Russie, selon un responsable sud-coréen.",
            "published_at": "2024-10-18",
        },
        headers=write_headers,
    ).json()
    assert fr["language"] == "fr"
    given = client.post(
        "/v1/articles",
        json={
            "url": "https://x.example.com/de",
            "title": "T",
            "body": "Text.",
            "published_at": "2024-10-18",
            "language": "de",
        },
        headers=write_headers,
    ).json()
    assert given["language"] == "de"


def test_idempotency_key_replays_and_rejects_reuse(client, write_headers):
    h = {**write_headers, "Idempotency-Key": "abc-123"}
    body = {
        "url": "https://idem.example.com/1",
        "title": "Once",
        "body": "Only once.",
        "published_at": "2024-10-18",
    }
    r1 = client.post("/v1/articles", json=body, headers=h)
    assert r1.status_code == 201
    r2 = client.post("/v1/articles", json=body, headers=h)
    assert r2.status_code == 201 and r2.json()["id"] == r1.json()["id"]
    assert r2.headers.get("idempotent-replayed") == "true"
    r3 = client.post("/v1/articles", json={**body, "title": "Other"}, headers=h)
    assert r3.status_code == 422


def _line(i: int) -> dict:
    return {
        "url": f"https://bulk.example.com/story/{i}",
        "title": f"Bulk story {i} on Seoul and Tokyo",
        "body": f"Story {i}: Seoul, Tokyo and Canberra said they had discussed item number {i}.",
        "published_at": "2024-10-18T00:00:00Z",
    }


def test_bulk_ndjson_accounts_for_every_line(client, write_headers):
    lines: list[bytes] = []
    bad: dict[int, int] = {}
    for i in range(1000):
        if i % 97 == 13:
            lines.append(b'{"url": "https://bulk.example.com/broken", "title": ')  # broken JSON
            bad[i] = 400
        elif i % 89 == 7:
            lines.append(orjson.dumps({**_line(i), "published_at": "2024-02-30"}))  # impossible date
            bad[i] = 422
        elif i % 83 == 5:
            lines.append(orjson.dumps({**_line(i), "url": "mailto:someone@example.com"}))
            bad[i] = 422
        else:
            lines.append(orjson.dumps(_line(i)))
    payload = b"\n".join(lines)
    h = {**write_headers, "content-type": "application/x-ndjson"}
    r = client.post("/v1/articles/bulk", content=payload, headers=h)
    assert r.status_code == 200, r.text
    report = r.json()
    assert {(f["index"], f["status"]) for f in report["failed"]} == set(bad.items())
    good = 1000 - len(bad)
    assert report["created"] == good and report["updated"] == 0 and report["unchanged"] == 0
    assert all(f["detail"] for f in report["failed"])
    again = client.post("/v1/articles/bulk", content=payload, headers=h).json()
    assert again["created"] == 0 and again["unchanged"] == good
    linked = client.get(
        "/v1/articles", params={"actors_all": ["south-korea", "japan", "australia"], "limit": 200}
    )
    assert len(linked.json()["items"]) == 200


def test_bulk_json_array_and_in_batch_repeats(client, write_headers):
    items = [_line(1), _line(2), _line(1), {"title": "no url"}]
    r = client.post("/v1/articles/bulk", json=items, headers=write_headers)
    report = r.json()
    assert report["created"] == 2 and report["unchanged"] == 1
    assert [(f["index"], f["status"]) for f in report["failed"]] == [(3, 422)]
    by_index = {x["index"]: x for x in report["results"]}
    assert by_index[2]["id"] == by_index[0]["id"]


def test_bulk_bad_bodies(client, write_headers):
    r = client.post(
        "/v1/articles/bulk", content=b"[{", headers={**write_headers, "content-type": "application/json"}
    )
    assert r.status_code == 400
    r = client.post("/v1/articles/bulk", json={"not": "a list"}, headers=write_headers)
    assert r.status_code == 422
    r = client.post("/v1/articles/bulk", content=b"x", headers={**write_headers, "content-type": "text/csv"})
    assert r.status_code == 415


def test_an_empty_bulk_body_is_a_400_problem(client, write_headers):
    before = client.get("/v1/articles", params={"limit": 200}).json()["items"]
    for ctype, content in (
        ("application/x-ndjson", b""),
        ("application/x-ndjson", b"\n  \n\r\n"),
        ("application/json", b"[]"),
        ("application/json", b" [ ] "),
        (None, b""),
    ):
        headers = {**write_headers, **({"Content-Type": ctype} if ctype else {})}
        r = client.post("/v1/articles/bulk", content=content, headers=headers)
        assert r.status_code == 400, (ctype, content, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["status"] == 400
    assert client.get("/v1/articles", params={"limit": 200}).json()["items"] == before
    # One article is a batch.
    r = client.post(
        "/v1/articles/bulk",
        content=orjson.dumps(_line(1)),
        headers=write_headers | {"Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 200 and r.json()["created"] == 1, r.text
