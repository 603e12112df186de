"""VSL Studio: plan, write, price, generate and review an AI-made novela scene by scene."""
