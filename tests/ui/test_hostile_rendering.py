"""User text reaches pages as text: escaped in markdown, never inside an HTML-enabled element."""

from __future__ import annotations

from tests.ui.conftest import open_page
from vsl.db import novela_repo
from vsl.novelas import service
from vsl.novelas.validation import NovelaInput
from vsl.ui.widgets import plain


def test_hostile_title_on_the_home_page_is_shown_as_text(app_env) -> None:
    title = "<script>alert(1)</script> **x** [a](javascript:alert(1))"
    service.create(
        app_env.db,
        NovelaInput(title=title, default_model_id="local-preview", default_duration=2, default_resolution="480p"),
    )
    at = open_page()
    html_elements = [m for m in at.markdown if m.proto.allow_html]
    assert all(title not in m.value for m in html_elements)
    assert plain(title) in [h.value for h in at.subheader]
    with app_env.db.session() as session:
        assert novela_repo.cards(session)[0].novela.title == title
