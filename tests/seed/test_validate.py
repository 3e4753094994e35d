"""seed_data/validate.py accepts the shipped seed data and rejects what would break loading or linking."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seed_data"


def _validate() -> object:
    spec = importlib.util.spec_from_file_location("seed_validate", SEED / "validate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the seed folder beside a copy of the linker's lists, as in the repository."""
    (tmp_path / "app" / "ingestion").mkdir(parents=True)
    shutil.copy(ROOT / "app" / "ingestion" / "ambiguous_names.json", tmp_path / "app" / "ingestion")
    shutil.copytree(SEED, tmp_path / "seed_data")
    return tmp_path / "seed_data"


def _edit(folder: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    path = folder / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_the_seed_data_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert _validate().main([str(SEED)]) == 0  # type: ignore[attr-defined]
    assert capsys.readouterr().out.splitlines()[-1].startswith("ok: 249 countries")


def test_an_alias_shared_without_a_flag_is_an_error(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "Macron" is Emmanuel Macron's; giving it to Brigitte Macron too makes "Macron" ambiguous.
    def add(actors: list) -> None:
        actors.append(
            {"kind": "person", "name": "Brigitte Macron", "slug": "brigitte-macron", "country": "FRA",
             "description": None, "external_ids": {}, "aliases": [{"alias": "Macron", "kind": "name"}]}
        )  # fmt: skip

    _edit(copy, "actors.json", add)
    assert _validate().main([str(copy)]) == 1  # type: ignore[attr-defined]
    assert "'macron' is used by brigitte-macron, emmanuel-macron" in capsys.readouterr().out


def test_bad_relations_are_errors(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def add(relations: list) -> None:
        base = {"title": None, "valid_to": None, "confidence": 1.0, "source": "test", "attributes": {},
                "evidence": []}  # fmt: skip
        relations.append(
            {**base, "subject": "france", "type": "member_of", "object": "germany", "valid_from": None}
        )
        relations.append(
            {**base, "subject": "nowhere", "type": "member_of", "object": "un", "valid_from": None}
        )
        relations.append(
            {
                **base,
                "subject": "un",
                "type": "leader_of",
                "object": "france",
                "title": "Boss",
                "valid_from": None,
            }
        )
        relations.append(
            {**base, "subject": "france", "type": "member_of", "object": "un", "valid_from": "2020-01-01",
             "valid_to": "2019-01-01"}
        )  # fmt: skip

    _edit(copy, "relations.json", add)
    assert _validate().main([str(copy)]) == 1  # type: ignore[attr-defined]
    out = capsys.readouterr().out
    assert "member_of must point at an organization or alliance, not at a 'country' actor" in out
    assert "unknown subject 'nowhere'" in out
    assert "leader_of must be held by a person, not by a 'organization' actor" in out
    assert "valid_from must be before valid_to" in out


def test_linker_lists_must_agree_with_the_actors(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lists = copy.parent / "app" / "ingestion" / "ambiguous_names.json"
    data = json.loads(lists.read_text(encoding="utf-8"))
    data["seats_of_power"].append("Hogwarts")
    data["not_actors"].append("Russia")
    lists.write_text(json.dumps(data), encoding="utf-8")
    assert _validate().main([str(copy)]) == 1  # type: ignore[attr-defined]
    out = capsys.readouterr().out
    assert "seat of power 'Hogwarts' is not a metonym of any actor" in out
    assert "non-actor name 'Russia' is an actor's name or alias" in out
