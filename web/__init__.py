"""The web channel: the same Assistant as a mobile chat page with a small JSON API.

bot.py wires it up:

    from web.app import WebSettings, run_web
    run_web(assistant, WebSettings.from_env())
"""
