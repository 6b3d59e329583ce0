"""What every channel may use and none owns: settings (and the table of them), rate limiting, masking of personal
details, and the one way the bot's own SQLite files are opened and migrated.

Nothing here imports the rest of the project, so anything (knowledge, booking, chat, every channel) may import it.
"""
