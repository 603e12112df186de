"""The cast of a novela (characters, locations, props), keyframes, frame chaining and continuity reviews."""
