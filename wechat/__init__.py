"""The WeChat Official Account (公众号) channel: the same Assistant, answering at /wechat on the web server.

bot.py wires it up (`python bot.py web` with WECHAT_TOKEN set):

    from wechat.channel import WeChatChannel
    from wechat.settings import WeChatSettings
    run_web(assistant, web_settings, mount=WeChatChannel(assistant, WeChatSettings.from_env()).mount)

`python bot.py wechat menu` publishes content/wechat_menu.yaml as the account's custom menu.
"""
