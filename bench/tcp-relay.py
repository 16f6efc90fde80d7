#!/usr/bin/env python3
"""A plain TCP relay on loopback: bench/tcp-relay.py LISTEN_PORT TARGET_PORT.

bench/ledger.sh puts it on the Redis replica's replication link, so that stopping it (SIGSTOP) holds back
what the master replicates while the master keeps accepting writes: a failover right then loses those
writes, which is what a real one can do and what no kernel packet filter is needed for.
"""
import asyncio
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def relay(client_reader, client_writer, target_port):
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))


async def main(listen_port, target_port):
    server = await asyncio.start_server(lambda r, w: relay(r, w, target_port), "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
