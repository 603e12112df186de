"""Video jobs: the state machine, the budget guard, user actions, the worker loop and episode assembly."""
