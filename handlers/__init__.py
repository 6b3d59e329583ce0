"""The Telegram channel: turns updates into chat Events and Replies into Telegram messages.

bot.py wires it up:

    from handlers.app import TelegramSettings, build_application, run
    settings = TelegramSettings.from_env()
    run(build_application(settings, assistant), settings)
"""
