"""The agents: the GPT-5 client, the message bus between agents, and (later) the agents themselves."""
