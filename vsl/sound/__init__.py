"""Sound: dialogue lines, voices per speaker, speaking lines (espeak-ng offline), timing and subtitles."""
