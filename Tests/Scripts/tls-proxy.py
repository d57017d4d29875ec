#!/usr/bin/env python3
"""A TLS front for a plain HTTP server, for driftqctl's https tests.

Usage: tls-proxy.py CERT KEY BACKEND_PORT
Listens on 127.0.0.1 on a free port with the certificate CERT (and KEY), prints
"listening on PORT", and relays every decrypted byte to 127.0.0.1:BACKEND_PORT and back.
"""
import socket
import ssl
import sys
import threading


def relay(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client, context, backend_port):
    try:
        secure = context.wrap_socket(client, server_side=True)
    except (ssl.SSLError, OSError):
        client.close()
        return
    upstream = socket.create_connection(("127.0.0.1", backend_port))
    threading.Thread(target=relay, args=(secure, upstream), daemon=True).start()
    relay(upstream, secure)


def main():
    cert, key, backend_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(f"listening on {listener.getsockname()[1]}", flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, context, backend_port), daemon=True).start()


if __name__ == "__main__":
    main()
