"""Another NoneBot plugin in the same bot, as a host project would have beside ours: it
echoes every line of conversation in groups, and its /天气 asks a question and waits for
the member's plain answer (a got(), NoneBot's temporary matcher)."""

from nonebot import on_command, on_message
from nonebot.adapters import Event
from nonebot.matcher import Matcher
from nonebot.params import ArgPlainText

echo = on_message(priority=50, block=False)


@echo.handle()
async def say_it_again(matcher: Matcher, event: Event) -> None:
    await matcher.finish(f"echo: {event.get_plaintext()}")


weather = on_command("天气", priority=5, block=True)


@weather.got("city", prompt="哪个城市？")
async def forecast(matcher: Matcher, city: str = ArgPlainText()) -> None:
    await matcher.finish(f"{city}：晴")
