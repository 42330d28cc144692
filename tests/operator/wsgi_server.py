"""Serves one OpenStack WSGI application on loopback with gunicorn, as a
deployment does with its WSGI server of choice:

    python wsgi_server.py NAME MODULE:ATTRIBUTE [--config-file FILE]...

The application module parses the process's arguments with oslo.config
when it is imported (magnum.wsgi.api, keystone.wsgi.api), so the process
is given exactly what the service's own command line would have: NAME and
the --config-file options. gunicorn binds 127.0.0.1 on a port the kernel
picks; once it listens, the line `listening on http://127.0.0.1:<port>` is
printed on stdout. One worker process with a few threads.
"""

import sys

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):

    def __init__(self, target):
        self.target = target
        super().__init__()

    def load_config(self):
        for key, value in (("bind", "127.0.0.1:0"), ("workers", 1),
                           ("worker_class", "gthread"), ("threads", 4),
                           ("timeout", 300), ("graceful_timeout", 5),
                           ("accesslog", "-"), ("when_ready", _ready),
                           # No control socket in the shared home.
                           ("control_socket_disable", True)):
            self.cfg.set(key, value)

    def load(self):
        module, attribute = self.target.split(":")
        return getattr(__import__(module, fromlist=[attribute]), attribute)


def _ready(server):
    host, port = server.LISTENERS[0].sock.getsockname()[:2]
    print("listening on http://%s:%d" % (host, port), flush=True)


def main():
    name, target = sys.argv[1], sys.argv[2]
    # What the service's module reads when it is imported by the worker.
    sys.argv = [name] + sys.argv[3:]
    _Server(target).run()


if __name__ == "__main__":
    main()
