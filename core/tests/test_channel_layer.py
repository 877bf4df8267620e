"""The channel layer's group send against channels-redis's own, on the real Redis: the same deliveries and the
same keys left behind, in fewer round trips."""

import asyncio
import time
import uuid

from channels_redis.core import RedisChannelLayer as LibraryLayer
from django.conf import settings

from core.channel_layer import RedisChannelLayer


def _layers(cls, **config):
    """Two layers of one class on a prefix of their own, standing for two server processes."""
    hosts = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
    prefix = f"test-layer-{uuid.uuid4().hex[:8]}"
    return [cls(hosts=hosts, prefix=prefix, **config) for _ in range(2)], prefix


async def _keys(layer, prefix):
    """Every key under `prefix` with its members (scores left out: they are times) and whether it expires."""
    redis = layer.connection(0)
    found = {}
    async for key in redis.scan_iter(match=f"{prefix}*"):
        members = await redis.zrange(key, 0, -1)
        found[key.decode().removeprefix(prefix)] = (len(members), await redis.ttl(key) > 0)
    return found


async def _scenario(cls, **config):
    """Three sockets on two processes in one group, two sends, and what each socket got."""
    (first, second), prefix = _layers(cls, **config)
    channels = [await first.new_channel(), await first.new_channel(), await second.new_channel()]
    names = [channel.split("!")[0] for channel in channels]
    await first.group_add("chat_1", channels[0])
    await first.group_add("chat_1", channels[1])
    await second.group_add("chat_1", channels[2])
    await first.group_send("chat_1", {"type": "message.new", "payload": {"n": 1}})
    await second.group_send("chat_1", {"type": "message.new", "payload": {"n": 2}})
    keys = await _keys(first, prefix)
    received = []
    for layer, channel in zip((first, first, second), channels, strict=True):
        got = []
        try:
            while True:
                got.append((await asyncio.wait_for(layer.receive(channel), 0.5))["payload"]["n"])
        except TimeoutError:
            pass
        received.append(got)
    for layer in (first, second):
        await layer.flush()
        await layer.close_pools()
    return received, {key.replace(names[0], "A").replace(names[2], "B"): value for key, value in keys.items()}


def test_a_group_send_reaches_every_member_on_every_process_as_the_librarys_does():
    ours = asyncio.run(_scenario(RedisChannelLayer))
    library = asyncio.run(_scenario(LibraryLayer))
    assert ours[0] == [[1, 2], [1, 2], [1, 2]]
    assert ours == library


def test_a_full_queue_drops_the_message_for_that_process_only_as_the_librarys_does():
    ours = asyncio.run(_scenario(RedisChannelLayer, capacity=1))
    library = asyncio.run(_scenario(LibraryLayer, capacity=1))
    # Both sends land on both processes' keys; each key holds one message at most, so the second is dropped.
    assert ours[0] == [[1], [1], [1]]
    assert ours == library


def test_members_past_the_group_expiry_are_dropped_before_sending():
    async def scenario():
        (layer, _), _ = _layers(RedisChannelLayer, group_expiry=1)
        channel = await layer.new_channel()
        await layer.group_add("chat_2", channel)
        redis = layer.connection(0)
        # The member was added two seconds ago (its score is the time it joined).
        await redis.zadd(layer._group_key("chat_2"), {channel: int(time.time()) - 2})
        await layer.group_send("chat_2", {"type": "message.new", "payload": {"n": 3}})
        left = await redis.zrange(layer._group_key("chat_2"), 0, -1)
        try:
            got = await asyncio.wait_for(layer.receive(channel), 0.5)
        except TimeoutError:
            got = None
        await layer.flush()
        await layer.close_pools()
        return left, got

    left, got = asyncio.run(scenario())
    assert left == [] and got is None
