"""The agent team: the Script Writer, the System Integrator and the Fallback Handler on one bus.

With an OpenAI key each agent thinks with GPT-5 (its own effort and verbosity); without one, the offline
implementations stand in and the team says so (`offline`). A key that is set but wrong is not replaced by
offline drafting: the GPT-5 errors reach the user.
"""

from __future__ import annotations

from dataclasses import dataclass

from vsl.agents.bus import Bus
from vsl.agents.fallback import Fallback, GptAdvisor
from vsl.agents.integrator import GptReviewer, Integrator
from vsl.agents.llm import LlmClient
from vsl.agents.offline import OfflineAdvisor, OfflineDrafter, OfflineReviewer
from vsl.agents.profiles import FALLBACK, INTEGRATOR, WRITER, profile
from vsl.agents.script_writer import GptDrafter, ScriptWriter
from vsl.runtime import Runtime


@dataclass(frozen=True)
class Team:
    runtime: Runtime
    bus: Bus
    writer: ScriptWriter
    integrator: Integrator
    fallback: Fallback
    llm: LlmClient | None

    @property
    def offline(self) -> bool:
        return self.llm is None

    @property
    def mode(self) -> str:
        return "offline drafting (no OPENAI_API_KEY)" if self.llm is None else f"OpenAI {self.llm.model}"


def build_team(runtime: Runtime, llm: LlmClient | None = None) -> Team:
    """The team for `runtime`: GPT-5 when OPENAI_API_KEY is set (or `llm` is given), offline otherwise.

    Raises UnsupportedLlmModel when OPENAI_MODEL is not a GPT-5 model, and ValueError for a bad
    AGENT_EFFORT_* / AGENT_VERBOSITY_* value.
    """
    db = runtime.db
    if llm is None and runtime.settings.openai_api_key:
        llm = LlmClient.from_settings(runtime.settings, db)
    if llm is None:
        writer = ScriptWriter(db, OfflineDrafter())
        integrator = Integrator(db, runtime.registry, OfflineReviewer())
        fallback = Fallback(db, OfflineAdvisor())
    else:
        writer = ScriptWriter(db, GptDrafter(llm, profile(WRITER)))
        integrator = Integrator(db, runtime.registry, GptReviewer(llm, profile(INTEGRATOR)))
        fallback = Fallback(db, GptAdvisor(llm, profile(FALLBACK)))
    bus = Bus(db)
    bus.register(WRITER, writer.handle)
    bus.register(INTEGRATOR, integrator.handle)
    bus.register(FALLBACK, fallback.handle)
    return Team(runtime, bus, writer, integrator, fallback, llm)
