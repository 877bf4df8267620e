"""The channel layer the sockets share: channels-redis's, with a group send in two Redis round trips.

channels-redis sends to a group in four round trips (drop the group's expired members; read its members; drop
each member's expired messages; add the message where there is room). Every chat message is a group send, so
at 200 messages a second that is 800 round trips a second of redis-py's Python in the processes that carry
the sockets. Here the first two go in one pipeline and the last two in one script, with the same effect: the
same keys, the same message format (the library's own `_map_channel_keys_to_connection` and serializer), the
same expiry and capacity rules, and the same log line when a member's queue is full.
"""

import logging
import time
from typing import Any

from channels_redis.core import RedisChannelLayer as LibraryRedisChannelLayer

logger = logging.getLogger("channels_redis.core")

# For each key: drop its messages older than the expiry, then add the message unless the key is at capacity.
# KEYS: the members' keys; ARGV: a message per key, a capacity per key, then now, expiry, oldest score kept.
GROUP_SEND_LUA = """
local n = #KEYS
local current_time = ARGV[2 * n + 1]
local expiry = ARGV[2 * n + 2]
local oldest = ARGV[2 * n + 3]
local over_capacity = 0
for i = 1, n do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, oldest)
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + n]) then
        redis.call('ZADD', KEYS[i], current_time, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""


class RedisChannelLayer(LibraryRedisChannelLayer):
    """channels-redis's layer; only `group_send` differs, in how many round trips it takes."""

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert self.require_valid_group_name(group), "Group name not valid"
        key = self._group_key(group)
        connection = self.connection(self.consistent_hash(group))
        async with connection.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(key, min=0, max=int(time.time()) - self.group_expiry)
            pipe.zrange(key, 0, -1)
            _, members = await pipe.execute()
        channel_names = [member.decode("utf8") for member in members]
        keys_by_connection, message_by_key, capacity_by_key = self._map_channel_keys_to_connection(
            channel_names, message)
        for index, keys in keys_by_connection.items():
            over_capacity = await self.connection(index).eval(
                GROUP_SEND_LUA, len(keys), *keys,
                *(message_by_key[k] for k in keys), *(capacity_by_key[k] for k in keys),
                time.time(), self.expiry, int(time.time()) - int(self.expiry))
            if over_capacity > 0:
                logger.info("%s of %s channels over capacity in group %s", over_capacity, len(channel_names), group)
