"""The baseline of bench/load_bench.py: a bare NoneBot bot on the same OneBot v11
connection, with one matcher that echoes /查's argument. What NoneBot itself costs per
message, with nothing of this project in it."""

import nonebot
from nonebot import on_command
from nonebot.adapters import Message
from nonebot.adapters.onebot.v11 import Adapter
from nonebot.params import CommandArg

nonebot.init(driver="~aiohttp")
nonebot.get_driver().register_adapter(Adapter)
echo = on_command("查", force_whitespace=True, block=True)


@echo.handle()
async def reply(args: Message = CommandArg()) -> None:
    await echo.finish(f"查询 {args.extract_plain_text()}")


if __name__ == "__main__":
    nonebot.run()
