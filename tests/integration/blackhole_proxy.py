#!/usr/bin/python3
"""A TCP relay that can blackhole its link, for the cluster partition test.

usage: blackhole_proxy.py TARGET_FILE

Listens on an ephemeral port of 127.0.0.1, prints "proxy PORT" on stdout,
and relays every connection to 127.0.0.1:TARGET, TARGET being the port
written in TARGET_FILE (read at each connection, so that the proxy can be
started before the node it fronts has bound its ephemeral port). SIGUSR1 cuts the
link: open connections are closed and new ones are closed as soon as they
are accepted, so nothing reaches the target. SIGUSR2 restores it. SIGTERM
ends the proxy.
"""
import asyncio
import ctypes
import signal
import sys

# Killed with the test that started it, however the test ends
# (prctl PR_SET_PDEATHSIG = 1, SIGKILL = 9).
ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, 9)

cut = False
open_writers = set()


async def pipe(reader, writer):
    try:
        while not cut:
            data = await reader.read(65536)
            if not data or cut:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def relay(target_file, client_reader, client_writer):
    if cut:
        client_writer.close()
        return
    try:
        with open(target_file) as file:
            target_port = int(file.read().strip())
        target_reader, target_writer = await asyncio.open_connection(
            "127.0.0.1", target_port)
    except (OSError, ValueError):
        client_writer.close()
        return
    open_writers.update((client_writer, target_writer))
    await asyncio.gather(pipe(client_reader, target_writer),
                         pipe(target_reader, client_writer))
    open_writers.discard(client_writer)
    open_writers.discard(target_writer)


def set_cut(value):
    global cut
    cut = value
    if cut:
        for writer in list(open_writers):
            writer.close()
        open_writers.clear()


async def main():
    target_file = sys.argv[1]
    server = await asyncio.start_server(
        lambda r, w: relay(target_file, r, w), "127.0.0.1", 0)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, set_cut, True)
    loop.add_signal_handler(signal.SIGUSR2, set_cut, False)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    print("proxy %d" % server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await stop


if __name__ == "__main__":
    asyncio.run(main())
