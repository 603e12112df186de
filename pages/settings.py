"""Settings & health: each outside part's mode, a connection test for each, and the model catalog."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from vsl import health
from vsl.catalog import get_catalog
from vsl.ui.runtime import get_runtime
from vsl.ui.widgets import said

runtime = get_runtime()
settings = runtime.settings
st.title("Settings & health")
st.caption(
    "Each part runs embedded on a fresh machine; its environment variable switches it to the real service "
    "(see README → Configuration). Secrets are never shown."
)


def part(title: str, mode: str, detail: str, check: Callable[[], health.Check]) -> None:
    with st.container(border=True):
        c1, c2 = st.columns([4, 1])
        c1.markdown(f"**{title}** — {mode}")
        c1.caption(detail)
        if c2.button("Test connection", key=f"test_{title}", width="stretch"):
            with st.spinner(f"Testing {title.lower()}…"):
                result = check()
            (st.success if result.ok else st.error)(said(result.message))


modes = settings.modes()
url = runtime.db.engine.url
db_where = "a file on this machine (DATABASE_URL)" if url.get_backend_name() == "sqlite" else url.render_as_string()
part(
    "Database",
    modes["database"],
    f"{db_where}" + (f" · schema {runtime.db.schema}" if runtime.db.schema else ""),
    lambda: health.check_database(runtime.db),
)
part(
    "Storage",
    modes["storage"],
    settings.s3_endpoint_url or ("AWS S3" if settings.s3_bucket else "a folder on this machine (MEDIA_DIR)"),
    lambda: health.check_storage(runtime.storage),
)
provider = "lambda" if settings.lambda_api_url else "replicate" if settings.replicate_api_token else "local"
part(
    "Video provider",
    modes["provider"],
    settings.lambda_api_url or settings.replicate_base_url
    if provider != "local"
    else "renders animatics locally with ffmpeg, $0",
    lambda: health.check_provider(runtime.registry, provider),
)
part("GPT-5 agents", modes["agents"], f"model {settings.openai_model}", lambda: health.check_llm(settings))
st.caption(f"Embedded worker: {'running' if runtime.worker_running else 'off (run `python -m vsl worker`)'}")

st.subheader("Model catalog")
rows = [
    {
        "id": m.id,
        "name": m.display_name,
        "type": m.media_type,
        "provider": m.provider,
        "pricing": m.pricing.kind.replace("_", " "),
        "verified": m.pricing.verified,
        "checked": m.pricing.checked,
        "features": ", ".join(sorted(m.features)),
        "source": m.pricing.source,
    }
    for m in get_catalog().models()
]
st.dataframe(
    pd.DataFrame(rows),
    hide_index=True,
    width="stretch",
    column_config={"source": st.column_config.LinkColumn("source")},
)
