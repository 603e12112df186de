"""The cast service: names, collisions, markup, uploads, renames and deletes that flag prompts, @Name checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cast.conftest import add_cast, png
from tests.jobs.conftest import make_novela
from vsl.cast import names, repo, service
from vsl.cast.names import BadAsset
from vsl.db import video_repo
from vsl.db.engine import Database
from vsl.jobs import actions
from vsl.novelas.references import BadReferenceImage
from vsl.storage.local import LocalStorage


def test_mentions_are_single_words_and_skip_email_addresses() -> None:
    found = names.mentions("@Isabel meets @Dona_Rosa at ana@example.com, then @isabel leaves.")
    assert [(m.name, m.key) for m in found] == [("Isabel", "isabel"), ("Dona_Rosa", "dona_rosa"), ("isabel", "isabel")]
    assert names.replace_mentions("@isabel waves", {"isabel": "Isabel (red shawl)"}) == "Isabel (red shawl) waves"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "Give the asset a name"),
        ("<b>Ana</b>", "cannot be a name"),
        ("Ana Maria", "cannot be a name"),
        ("1Ana", "cannot be a name"),
        ("A" * 41, "at most 40"),
    ],
)
def test_bad_names_are_refused_with_the_rule(raw: str, fragment: str) -> None:
    with pytest.raises(BadAsset, match=fragment):
        names.clean_name(raw)


def test_names_collide_case_insensitively_and_kinds_are_checked(db: Database) -> None:
    novela_id = make_novela(db).id
    service.create_asset(db, novela_id, "character", "@Isabel", "40, silver streak")
    with pytest.raises(BadAsset, match="already has a character called Isabel"):
        service.create_asset(db, novela_id, "location", "isabel")
    with pytest.raises(BadAsset, match="character, a location, a prop"):
        service.create_asset(db, novela_id, "monster", "Kraken")
    with db.session() as session:
        assert [(a.name, a.look) for a in repo.assets(session, novela_id)] == [("Isabel", "40, silver streak")]


def test_uploads_must_be_real_sane_images_under_10_mb(db: Database, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "media")
    novela_id = make_novela(db).id
    asset_id = add_cast(db, novela_id, "Isabel")["Isabel"]
    cases = [
        (b"not an image at all", "not a readable image"),
        (b"\x89PNG" + b"0" * (10 * 1024 * 1024), "at most 10 MB"),
        (png(20, 20), "between 64 and 8192"),
        (png(1000, 100), "stretched"),
    ]
    for data, fragment in cases:
        with pytest.raises(BadReferenceImage, match=fragment):
            service.add_upload(db, storage, asset_id, "x.png", data)
    first = service.add_upload(db, storage, asset_id, "isabel.png", png())
    second = service.add_upload(db, storage, asset_id, "isabel2.png", png(colour=(0, 0, 200)))
    assert (first.chosen, second.chosen, first.width) == (True, False, 256)
    service.choose_image(db, second.id)
    with db.session() as session:
        assert [(i.id, i.chosen) for i in repo.images(session, [asset_id])[asset_id]] == [
            (second.id, True),
            (first.id, False),
        ]
    assert storage.get_bytes(first.ref.removeprefix("media:")) == png()


def test_rename_rewrites_planned_prompts_and_delete_flags_them(db: Database) -> None:
    novela = make_novela(db, scenes=2)
    cast = add_cast(db, novela.id, "Isabel")
    with db.write() as session:
        one, two = video_repo.episode_takes(session, novela.id, 1)
        one.script_prompt, two.script_prompt = "@Isabel opens the letter.", "Rain. @isabel cries."
        two.status = "completed"

    flagged = service.rename_asset(db, cast["Isabel"], "Isa")

    assert [f.note for f in flagged] == ["@Isabel rewritten as @Isa", "generated with @Isabel, since renamed @Isa"]
    with db.session() as session:
        assert video_repo.get(session, one.id).script_prompt == "@Isa opens the letter."
    gone = service.delete_asset(db, cast["Isabel"])
    assert [(f.video_id, "was deleted" in f.note) for f in gone] == [(one.id, True)]


def test_unknown_mention_is_refused_before_pricing(db: Database, local_registry) -> None:
    novela = make_novela(db, scenes=1)
    add_cast(db, novela.id, "Isabel")
    with db.write() as session:
        (take,) = video_repo.episode_takes(session, novela.id, 1)
        take.script_prompt = "@Isabel and @Ghost argue."
    with pytest.raises(actions.InvalidTake, match=r"@Ghost is not in the cast \(cast: @Isabel\)"):
        actions.quote(db, local_registry, [actions.Target(take.id)])


def test_wizard_characters_become_assets_once(db: Database) -> None:
    from vsl.novelas import service as novelas
    from vsl.novelas.validation import Character, NovelaInput

    data = NovelaInput(title="W", characters=[Character("Ana Lúcia", "short hair", "https://example.com/a.png")])
    novela_id = novelas.create(db, data).id
    assert service.import_wizard_characters(db, novela_id) == 1
    assert service.import_wizard_characters(db, novela_id) == 0
    with db.session() as session:
        (asset,) = repo.assets(session, novela_id)
        assert (asset.name, asset.look) == ("Ana_Lúcia", "short hair")
        assert [i.ref for i in repo.images(session, [asset.id])[asset.id]] == ["https://example.com/a.png"]
