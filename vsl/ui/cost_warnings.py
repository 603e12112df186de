"""Cost warnings on the board: charges off their estimates, and takes paused because spending passed the budget."""

from __future__ import annotations

import streamlit as st

from vsl.jobs import actions, costs
from vsl.money import usd
from vsl.ui.runtime import changed, get_runtime
from vsl.ui.widgets import plain


def show(novela_id: int) -> None:
    """Nothing when the charges match their estimates and the budget holds."""
    report = costs.novela_costs(get_runtime().db, novela_id)
    if report is None:
        return
    if report.deviations:
        title = f"{len(report.deviations)} take(s) were charged differently from their estimate"
        with st.expander(f":material/warning: {title}"):
            for deviation in report.deviations:
                st.markdown(plain(deviation.sentence()))
    if report.over_budget:
        said = (
            f"Spending has passed the budget: {usd(report.spent)} spent and {usd(report.reserved)} reserved "
            f"of {usd(report.budget)}, because providers charged more than estimated."
        )
        st.error(plain(said))  # escaped: "$" would start a formula
    if report.paused:
        _paused(novela_id, report.waiting)


def _paused(novela_id: int, waiting: int) -> None:
    st.warning(
        f"{waiting} take(s) wait and will not be submitted until you raise the budget (Novela settings) "
        "or accept spending past it."
    )
    if st.button("Accept and submit them", key="accept_overspend", icon=":material/payments:"):
        message = actions.accept_overspend(get_runtime().db, novela_id)
        changed()
        st.toast(message)
        st.rerun()
