"""The local Stripe emulator (localstripe) as `make run` and the tests start it.

localstripe keeps its state in a fixed file under /tmp; here each instance gets its own file (or none),
so two instances on one machine do not share customers and payments.
"""

import pickle
import socket
from pathlib import Path


def build_app(state_file: Path | None):
    from localstripe import resources, server

    store = resources.store

    def load() -> None:
        if state_file and state_file.exists():
            with state_file.open("rb") as handle:
                store.clear()
                dict.update(store, pickle.load(handle))  # noqa: S301 - our own file, written below

    def dump() -> None:
        if state_file:
            state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = state_file.with_suffix(".tmp")
            with tmp.open("wb") as handle:
                pickle.dump(dict(store), handle, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(state_file)

    store.try_load_from_disk = load
    store.dump_to_disk = dump
    load()
    return server.app


def serve(*, host: str = "127.0.0.1", port: int = 8420, state_file: Path | None = None) -> None:
    from aiohttp import web

    app = build_app(state_file)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    web.run_app(app, sock=sock, print=None, access_log=None)
