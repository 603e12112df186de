"""The agents: the GPT-5 client, the persisted message bus, the three agents, offline drafting and the flows."""
