"""The one confirmation through which every paid action passes: it shows the total and the budget left.

The quote (with its click id) lives in session state while the dialog is open, so a double click or a rerun
confirms the same click id, which `actions.confirm` reserves only once.
"""

from __future__ import annotations

import streamlit as st

from vsl.jobs import actions
from vsl.jobs.actions import NothingToDo, Target
from vsl.jobs.budget import BudgetExceeded
from vsl.money import usd
from vsl.novelas.service import NovelaNotFound
from vsl.ui.runtime import changed, get_runtime
from vsl.ui.widgets import said

PENDING = "_vsl_pending_quote"


def ask(targets: list[Target], title: str) -> None:
    """Price `targets` and open the confirmation dialog (the page must call `show_pending()` once per run)."""
    runtime = get_runtime()
    try:
        st.session_state[PENDING] = (title, actions.quote(runtime.db, runtime.registry, targets))
    except (NothingToDo, NovelaNotFound) as exc:
        st.warning(said(exc))
        return
    st.rerun()  # a full rerun, also from inside a fragment, so show_pending() opens the dialog


def show_pending() -> None:
    """Keep the dialog open across full reruns while its quote waits for an answer (dismissing forgets it)."""
    if PENDING in st.session_state:
        _dialog()


def _forget() -> None:
    st.session_state.pop(PENDING, None)


@st.dialog("Confirm generation", width="medium", on_dismiss=_forget)
def _dialog() -> None:
    title, quote = st.session_state[PENDING]
    st.markdown(f"**{title}**")
    rows = [
        {"take": line.label, "model": line.model_id, "provider": line.provider, "cost": usd(line.cost)}
        for line in quote.lines
    ]
    st.dataframe(rows, hide_index=True, width="stretch", height=min(35 * len(rows) + 38, 320))
    st.metric("Total to reserve", usd(quote.total))
    if quote.available is not None:
        st.caption(f"Budget left before this: {usd(quote.available)}")
    if not quote.fits:
        st.error(f"This exceeds the budget left ({usd(quote.available)}). Raise the budget or choose fewer scenes.")
    go, cancel = st.columns(2)
    if go.button("Confirm and generate", type="primary", disabled=not quote.fits, width="stretch"):
        _confirm(quote)
    if cancel.button("Cancel", width="stretch"):
        _forget()
        st.rerun()


def _confirm(quote: actions.Quote) -> None:
    runtime = get_runtime()
    try:
        ids = actions.confirm(runtime.db, runtime.registry, quote)
    except (BudgetExceeded, NothingToDo, NovelaNotFound) as exc:
        st.error(said(exc))
        return
    _forget()
    changed()
    st.toast(f"{len(ids)} take(s) queued; {usd(quote.total)} reserved.", icon=":material/movie:")
    st.rerun()
