"""New novela: draft it with the agents from a premise, or step through the manual wizard."""

from __future__ import annotations

import streamlit as st

from vsl.novelas import service
from vsl.novelas.validation import NovelaInvalid
from vsl.ui import draft, wizard
from vsl.ui.runtime import changed, get_runtime

runtime = get_runtime()
st.title("New novela")
with_agents, by_hand = st.tabs([":material/auto_awesome: Draft with agents", ":material/list: Step by step"])
with with_agents:
    draft.render()

with by_hand:
    w = wizard.state()
    step = w["step"]

    st.progress((step + 1) / len(wizard.STEPS), text=f"Step {step + 1} of {len(wizard.STEPS)}: {wizard.STEPS[step]}")
    errors = wizard.step_errors(w, step) if w.get("show_errors") else {}
    wizard.RENDERERS[step](w, errors)

    back, _, forward = st.columns([1, 3, 1])
    if step > 0 and back.button("← Back", width="stretch"):
        w["step"], w["show_errors"] = step - 1, False
        st.rerun()

    if step < len(wizard.STEPS) - 1:
        if forward.button("Next →", type="primary", width="stretch"):
            if wizard.step_errors(w, step):
                w["show_errors"] = True
            else:
                w["step"], w["show_errors"] = step + 1, False
            st.rerun()
    elif forward.button("Create novela", type="primary", width="stretch"):
        try:
            novela = service.create(runtime.db, wizard.to_input(w))
        except NovelaInvalid as exc:
            for message in exc.errors.values():
                st.error(message, icon=":material/warning:")
        else:
            changed()
            del st.session_state["wiz"]
            st.success(f"Created “{novela.title}”.")
            st.switch_page("pages/board.py", query_params={"novela": str(novela.id)})
