"""Sound on the board: a scene's dialogue (edit, sound choice, subtitles preview), the voices of the novela
with a sample to listen to, assembling an episode with progress, and the episode player with subtitles."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from vsl.db.models import NovelaVideo
from vsl.jobs.actions import Target
from vsl.jobs.assembly import AssemblyFailed, MissingScenes, NotReady, assemble_episode
from vsl.media import MediaError
from vsl.sound import scenes
from vsl.sound.dialogue import NARRATOR, SPEECH_MODEL, DialogueInvalid, DialogueLine, emotions, lines_of
from vsl.sound.espeak import STAND_IN_LABEL
from vsl.sound.render import SOUND_CHOICES
from vsl.sound.speech_jobs import SpeechUnavailable, plan_speech
from vsl.sound.voices import SYSTEM_VOICES, VoiceSettings, all_voices, check_voice, save_voice, voices_for
from vsl.ui import spend
from vsl.ui.runtime import changed, get_runtime
from vsl.ui.widgets import plain, said

SOUND_LABELS = {"both": "Model's sound + our voices", "model": "Model's sound only", "voices": "Our voices only"}
_COLUMNS = ["speaker", "line", "emotion", "at_s"]


def scene_sound(take: NovelaVideo) -> None:
    """The scene card's dialogue: editable lines, the sound choice, and the subtitles they make."""
    lines = lines_of(take.scene_details)
    label = f"Dialogue ({len(lines)} line{'s' * (len(lines) != 1)})"
    # lazy: the editor and the spoken preview run only while open (every card has one, in the live grid)
    with st.expander(label, key=f"dialogue_open_{take.id}", on_change="rerun") as box:
        if box.open:
            _dialogue(take, lines)


def _dialogue(take: NovelaVideo, lines: list[DialogueLine]) -> None:
    """The open dialogue: editable lines, the sound choice, Save, and the subtitles they make."""
    table = pd.DataFrame([line.as_dict() for line in lines], columns=_COLUMNS)
    edited = st.data_editor(
        table,
        key=f"dialogue_{take.id}",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "speaker": st.column_config.TextColumn("Speaker", help=f"A character's name or {NARRATOR}"),
            "line": st.column_config.TextColumn("Line", width="large"),
            "emotion": st.column_config.SelectboxColumn("Emotion", options=list(emotions()), default="auto"),
            "at_s": st.column_config.NumberColumn("At (s)", min_value=0.0, step=0.1, help="Optional timing hint"),
        },
    )
    current = take.scene_details.get("sound", "both")
    sound = st.radio(
        "Sound",
        SOUND_CHOICES,
        index=SOUND_CHOICES.index(current) if current in SOUND_CHOICES else 0,
        format_func=SOUND_LABELS.get,
        key=f"sound_{take.id}",
        horizontal=True,
    )
    if st.button("Save dialogue", key=f"save_dialogue_{take.id}"):
        _save(take, edited, sound)
    _subtitles_preview(take)


def _rows(edited: pd.DataFrame) -> list[DialogueLine]:
    records = edited.astype(object).where(edited.notna(), None).to_dict("records")
    return [DialogueLine.of(r) for r in records if str(r.get("line") or "").strip()]


def _save(take: NovelaVideo, edited: pd.DataFrame, sound: str) -> None:
    try:
        scenes.save_dialogue(get_runtime().db, take.id, _rows(edited), sound)
    except DialogueInvalid as exc:
        st.error(str(exc))
        return
    changed()
    st.toast("Dialogue saved.")
    st.rerun()


def _subtitles_preview(take: NovelaVideo) -> None:
    try:
        cues, left_out = scenes.take_cues(get_runtime().db, take)
    except MediaError as exc:
        st.warning(str(exc))
        return
    for cue in cues:
        st.caption(f"{cue.start_ms / 1000:.1f}–{cue.end_ms / 1000:.1f} s · {plain(cue.text)}")
    for note in left_out:
        st.warning(note)
    if cues:
        st.caption(f":material/record_voice_over: Timed from the {STAND_IN_LABEL}.")


def voices(novela_id: int, episode: int) -> None:
    """The voice of every speaker, with a short sample to listen to, and recording the episode's lines."""
    db = get_runtime().db
    speakers = scenes.novela_speakers(db, novela_id)
    if not speakers:
        return
    voices_for(db, novela_id, speakers)
    with st.expander(f"Voices ({len(speakers)} speakers)"):
        _record_lines(novela_id, episode)
        for voice in all_voices(db, novela_id):
            _voice_row(novela_id, voice)


def _record_lines(novela_id: int, episode: int) -> None:
    """speech-02-hd recordings of the lines not yet recorded, priced and confirmed like a take (ADR 0008)."""
    runtime = get_runtime()
    if runtime.registry.is_stand_in(SPEECH_MODEL):
        st.caption(
            f"Lines are spoken by the {STAND_IN_LABEL}, following these settings. With LAMBDA_API_URL or "
            f"REPLICATE_API_TOKEN set, {SPEECH_MODEL} records them (priced per 1,000 characters)."
        )
        return
    st.caption(f"Recorded lines are spoken by {SPEECH_MODEL}; the others by the {STAND_IN_LABEL}.")
    help_text = "Every line not yet recorded with its current voice; you confirm the price first."
    if not st.button(f"Record episode {episode}'s lines", icon=":material/mic:", key=f"record_{novela_id}_{episode}",
                     help=help_text):  # fmt: skip
        return
    try:
        ids = plan_speech(runtime.db, novela_id, episode)
    except SpeechUnavailable as exc:
        st.info(said(exc))
        return
    if not ids:
        st.info(f"Every line of episode {episode} is already recorded or being recorded.")
        return
    spend.ask([Target(i) for i in ids], f"Record {len(ids)} line(s) of episode {episode} with {SPEECH_MODEL}")


def _voice_row(novela_id: int, voice: VoiceSettings) -> None:
    key = f"voice_{novela_id}_{voice.speaker}"
    st.markdown(f"**{plain(voice.speaker)}**")
    c1, c2, c3, c4 = st.columns(4)
    voice_id = c1.selectbox("Voice", SYSTEM_VOICES, index=SYSTEM_VOICES.index(voice.voice_id), key=f"{key}_id")
    speed = c2.slider("Speed", 0.5, 2.0, float(voice.speed), 0.05, key=f"{key}_speed")
    pitch = c3.slider("Pitch", -12, 12, int(voice.pitch), key=f"{key}_pitch")
    emotion = c4.selectbox("Default emotion", emotions(), index=emotions().index(voice.emotion), key=f"{key}_emotion")
    changed_voice = VoiceSettings(voice.speaker, voice_id, speed, pitch, emotion, voice.language_boost)
    b1, b2 = st.columns(2)
    if b1.button("Listen", key=f"{key}_listen", icon=":material/play_circle:"):
        try:
            st.audio(scenes.sample(check_voice(changed_voice)), format="audio/wav")
        except (DialogueInvalid, MediaError) as exc:
            st.error(str(exc))
    if changed_voice != voice and b2.button("Save voice", key=f"{key}_save"):
        save_voice(get_runtime().db, novela_id, changed_voice)
        st.toast(f"{voice.speaker}'s voice saved.")
        st.rerun()


def assemble(
    novela_id: int, episode: int, missing: MissingScenes = "stop", crossfade_s: float = 0.0, hint: str = ""
) -> None:
    """Assemble the episode with a progress bar; a failure says which scene and step (`hint`: what to do then)."""
    runtime = get_runtime()
    bar = st.progress(0.0, text="Assembling the episode…")
    try:
        item = assemble_episode(
            runtime.db,
            runtime.storage,
            novela_id,
            episode,
            missing=missing,
            crossfade_s=crossfade_s,
            on_progress=lambda fraction, step: bar.progress(min(1.0, fraction), text=step),
        )
    except NotReady as exc:
        bar.empty()
        st.warning(said(exc) + hint)
        return
    except AssemblyFailed as exc:
        bar.empty()
        st.error(f"{said(exc)} Nothing was changed in the media library.")
        return
    changed()
    bar.empty()
    st.success(f"Episode {episode} assembled ({item.duration_seconds} s) with subtitles; it is in the media library.")
