"""``vectorlearn playground``: watch the matrices learn, in the browser, on the real library.

A local web page (Flask, with its JavaScript and CSS shipped in this package, nothing fetched
from the internet) where a network of vectorlearn's core trains on two-dimensional data, and the
page shows the decision boundary, each unit's picture, the costs, and for any layer the
lecture's ``W``, ``B``, ``K``, ``A``, ``dW``, ``dB``. Flask is the ``playground`` extra:
``pip install "vectorlearn[playground]"``.

The CLI calls :func:`add_arguments` on its sub-parser and :func:`run` with the parsed arguments.
"""

from __future__ import annotations

import argparse
import logging
import sys

DEFAULT_HOST = "127.0.0.1"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``playground`` sub-command's options."""
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to listen on (default: %(default)s, this computer only; 0.0.0.0 "
        "would let anyone on the network train on this machine)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: 0, a free one)"
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="print the address, do not open a browser"
    )


def run(args: argparse.Namespace) -> int:
    """Serve the playground until Ctrl-C; return the exit status."""
    try:
        import flask  # noqa: F401  (the server imports it when it builds the app)
        from werkzeug.serving import make_server
    except ImportError as error:
        print(
            f"vectorlearn playground needs Flask ({error.name} is missing): "
            'pip install "vectorlearn[playground]"',
            file=sys.stderr,
        )
        return 2
    from .server import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    app = create_app(local_only=args.host in LOCAL_HOSTS)
    try:
        server = make_server(args.host, args.port, app, threaded=True)
    except (OSError, SystemExit) as error:  # werkzeug says why and exits when a port is taken
        reason = getattr(error, "strerror", None) or "see above"
        print(f"cannot listen on {args.host}:{args.port} ({reason})", file=sys.stderr)
        app.extensions["playground"].close()
        return 2
    url = f"http://{_url_host(args.host)}:{server.server_port}/"
    print(f"vectorlearn playground at {url} (Ctrl-C to stop)", flush=True)
    if not args.no_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()  # returns on Ctrl-C (werkzeug catches the KeyboardInterrupt)
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["playground"].close()
        server.server_close()
        print("the playground stopped", file=sys.stderr, flush=True)
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def main(argv=None) -> int:
    """``python -m vectorlearn.playground``, until the CLI has its sub-command."""
    parser = argparse.ArgumentParser(prog="vectorlearn playground", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


__all__ = ["add_arguments", "main", "run"]
