"""Transport-neutral conversation flows: Telegram, the terminal and the web all drive these."""
