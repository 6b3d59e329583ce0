"""What every channel may use and none owns: settings, rate limiting, masking of personal details.

Nothing here imports the rest of the project, so anything (knowledge, booking, chat, every channel) may import it.
"""
