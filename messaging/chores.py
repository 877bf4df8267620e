"""Work that every chat socket of a process asks for often, done for all of them together once a second.

A socket that receives a message marks it delivered, and a socket that sends a frame keeps its presence
entry alive. Done one by one, that is a database write per message received and a Redis round trip per frame
sent, on every socket. Here each is noted in memory and written together: one UPDATE for all the delivery
marks (`services.messages_mark_delivered_many`) and one Redis pipeline for all the presence refreshes
(`presence.refresh_many`), off the event loop. A delivery mark is therefore up to a second late; a socket
that closes writes what is pending first.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from channels.db import database_sync_to_async
from redis.exceptions import RedisError

from . import presence, services

logger = logging.getLogger(__name__)
# Its own two threads, so the writes of all sockets never wait behind the sockets' own calls.
_db_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="socket-chores")


class SocketChores:
    INTERVAL = 1.0
    # A socket's presence entry is refreshed at most this often (its process's heartbeat also keeps it live).
    PRESENCE_EVERY = 15.0

    def __init__(self) -> None:
        self._delivered: dict[tuple[int, int], int] = {}
        self._presence: set[tuple[int, str]] = set()
        self._scheduled: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()

    def delivered(self, *, chat_id: int, user_id: int, message_id: int) -> None:
        key = (chat_id, user_id)
        if self._delivered.get(key, 0) < message_id:
            self._delivered[key] = message_id
            self._schedule()

    def presence_refresh(self, user_id: int, connection_id: str) -> None:
        self._presence.add((user_id, connection_id))
        self._schedule()

    def forget(self, user_id: int, connection_id: str) -> None:
        """The socket is closing: its presence entry must not be refreshed any more."""
        self._presence.discard((user_id, connection_id))

    def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        if self._scheduled is not None and loop is self._loop:
            return
        self._loop = loop  # a new event loop (each test runs its own): what an old one scheduled never runs
        self._scheduled = loop.call_later(self.INTERVAL, self._start_flush)

    def _start_flush(self) -> None:
        task = asyncio.get_running_loop().create_task(self.flush())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def flush(self) -> None:
        """Writes what is pending now (also called by a closing socket)."""
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled = None
        delivered, self._delivered = self._delivered, {}
        sockets, self._presence = list(self._presence), set()
        if not delivered and not sockets:
            return
        try:
            await database_sync_to_async(_write, thread_sensitive=False, executor=_db_threads)(delivered, sockets)
        except (RedisError, OSError):
            logger.warning("Presence not refreshed: Redis unreachable", exc_info=True)
        except Exception:  # a lost delivery mark is caught up by the next one
            logger.exception("Delivery marks not written")


def _write(delivered: dict[tuple[int, int], int], sockets: list[tuple[int, str]]) -> None:
    presence.refresh_many(sockets)
    services.messages_mark_delivered_many(delivered)


chores = SocketChores()
