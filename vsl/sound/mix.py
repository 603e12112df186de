"""The episode's soundtrack in one ffmpeg run: each scene's own sound (or silence) end to end as the bed, every
spoken line at its time, and the bed ducked under speech by a sidechain compressor. The same run measures the
mix with `loudnorm`'s first pass; the second pass is applied while the picture is encoded (docs/adr/0005)."""

from __future__ import annotations

from pathlib import Path

from vsl.media.ffmpeg import LoudnessTarget
from vsl.sound.cut import Segment, total_s
from vsl.sound.timeline import PlacedLine

RATE = 48000
_STEREO = f"aresample={RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
_DUCK = "sidechaincompress=threshold=0.02:ratio=10:attack=15:release=350:makeup=1"


def _bed(segments: list[Segment], first_input: int) -> tuple[list[str], list[str], list[str]]:
    """Inputs, chains and labels of the bed: a segment lasts until the next one starts."""
    inputs, chains, labels, n = [], [], [], first_input
    for i, segment in enumerate(segments):
        length = segments[i + 1].start_s - segment.start_s if i + 1 < len(segments) else segment.duration_s
        if segment.clip_sound and segment.clip is not None:
            inputs += ["-vn", "-i", f"file:{segment.clip}"]
            source = f"[{n}:a]atrim=duration={length:.3f},asetpts=PTS-STARTPTS,{_STEREO},apad=whole_dur={length:.3f}"
            n += 1
        else:
            source = f"anullsrc=r={RATE}:cl=stereo,atrim=duration={length:.3f},aformat=sample_fmts=fltp"
        chains.append(f"{source}[b{i}]")
        labels.append(f"[b{i}]")
    return inputs, chains, labels


def mix_args(segments: list[Segment], lines: list[PlacedLine], out: Path, target: LoudnessTarget) -> list[str]:
    """ffmpeg arguments writing the mixed (not yet normalised) soundtrack as a 48 kHz stereo WAV to `out` and
    printing its `loudnorm` measurements."""
    total = total_s(segments)
    voice_inputs = [arg for line in lines for arg in ("-i", f"file:{line.audio}")]
    bed_inputs, chains, labels = _bed(segments, len(lines))
    chains.append(f"{''.join(labels)}concat=n={len(labels)}:v=0:a=1,atrim=duration={total:.3f}[bed]")
    if lines:
        for j, line in enumerate(lines):
            delay = round(line.start_s * 1000)
            spoken = line.end_s - line.start_s
            chains.append(f"[{j}:a]atrim=duration={spoken:.3f},{_STEREO},adelay={delay}:all=1[s{j}]")
        voices = "".join(f"[s{j}]" for j in range(len(lines)))
        chains.append(
            f"{voices}amix=inputs={len(lines)}:normalize=0:duration=longest,apad=whole_dur={total:.3f},asplit=2[sp][sc]"
        )
        chains.append(f"[bed][sc]{_DUCK}[ducked]")
        chains.append(f"[ducked][sp]amix=inputs=2:normalize=0:duration=first,atrim=duration={total:.3f}[mix]")
    else:
        chains.append("[bed]anull[mix]")
    # loudnorm works at 192 kHz: resampled on its own branch, so the mix itself stays at 48 kHz
    chains.append(f"[mix]asplit=2[out][measure];[measure]aresample=192000,{target.first_pass()}[measured]")
    graph = ";".join(chains)
    outputs = ["-map", "[out]", "-c:a", "pcm_f32le", "-f", "wav", str(out), "-map", "[measured]", "-f", "null", "-"]
    return [*voice_inputs, *bed_inputs, "-filter_complex", graph, *outputs]
