"""The agent team: the Script Writer, the System Integrator and the Fallback Handler on one bus.

With an OpenAI key each agent thinks with GPT-5 (its own effort and verbosity); without one, the offline
implementations stand in and the team says so (`offline`). A key that is set but wrong is not replaced by
offline drafting: the GPT-5 errors reach the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vsl.agents.bus import Bus
from vsl.agents.fallback import Fallback, GptAdvisor
from vsl.agents.integrator import GptReviewer, Integrator
from vsl.agents.llm import LlmClient
from vsl.agents.offline import OfflineAdvisor, OfflineDrafter, OfflineReviewer
from vsl.agents.profiles import FALLBACK, INTEGRATOR, WRITER, profile
from vsl.agents.script_writer import GptDrafter, ScriptWriter

if TYPE_CHECKING:  # the runtime builds the automatic reviewer from vsl.agents: only its type is needed here
    from vsl.runtime import Runtime


@dataclass(frozen=True)
class Team:
    runtime: Runtime
    bus: Bus
    writer: ScriptWriter
    integrator: Integrator
    fallback: Fallback
    llm: LlmClient | None
    models: dict[str, str] = field(default_factory=dict)  # agent -> the model it thinks with

    @property
    def offline(self) -> bool:
        return self.llm is None

    @property
    def mode(self) -> str:
        if self.llm is None:
            return "offline drafting (no OPENAI_API_KEY)"
        default = self.llm.model
        others = [f"{agent.replace('_', ' ')} {model}" for agent, model in self.models.items() if model != default]
        return f"OpenAI {self.llm.model}" + (f" ({', '.join(others)})" if others else "")


def build_team(runtime: Runtime, llm: LlmClient | None = None) -> Team:
    """The team for `runtime`: GPT-5 when OPENAI_API_KEY is set (or `llm` is given), offline otherwise.

    Raises UnsupportedLlmModel when OPENAI_MODEL or an AGENT_MODEL_* is not a GPT-5 model or an agent's effort
    does not suit its model, and ValueError for a bad AGENT_EFFORT_* / AGENT_VERBOSITY_* value.
    """
    db = runtime.db
    models: dict[str, str] = {}
    if llm is None and runtime.settings.openai_api_key:
        llm = LlmClient.from_settings(runtime.settings, db)
    if llm is None:
        writer = ScriptWriter(db, OfflineDrafter())
        integrator = Integrator(db, runtime.registry, OfflineReviewer())
        fallback = Fallback(db, OfflineAdvisor())
    else:
        profiles = {name: profile(name, default_model=llm.model) for name in (WRITER, INTEGRATOR, FALLBACK)}
        writer = ScriptWriter(db, GptDrafter(llm, profiles[WRITER]))
        integrator = Integrator(db, runtime.registry, GptReviewer(llm, profiles[INTEGRATOR]))
        fallback = Fallback(db, GptAdvisor(llm, profiles[FALLBACK]))
        models = {name: p.model or llm.model for name, p in profiles.items()}
    bus = Bus(db)
    bus.register(WRITER, writer.handle)
    bus.register(INTEGRATOR, integrator.handle)
    bus.register(FALLBACK, fallback.handle)
    return Team(runtime, bus, writer, integrator, fallback, llm, models)
