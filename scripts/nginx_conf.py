"""Render nginx's configuration for `make run-scale` (docs/page-cache.md), then optionally run
nginx in the foreground with it.

    python scripts/nginx_conf.py [--prefix var/nginx] [--run]

The template is config/nginx/lifeline.conf.template; the ports come from the environment:
PORT_WEB (8000, where nginx listens) and PORT_APP (8001, gunicorn). The prefix holds the
rendered nginx.conf, its pid file, logs/, temp/ and cache/.
"""

import argparse
import os
import pwd
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "config" / "nginx" / "lifeline.conf.template"
NGINX = "/usr/sbin/nginx"


def render(prefix: Path, *, port_web: int, port_app: int) -> Path:
    """Write `prefix`/nginx.conf (and the folders it names); returns its path."""
    prefix = prefix.resolve()
    for folder in ("logs", "temp", "cache"):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    # nginx started as root runs its workers as `nobody`, who could not write the cache
    # here: as root, the workers stay the user who owns the checkout.
    user = f"user {pwd.getpwuid(prefix.stat().st_uid).pw_name};" if os.geteuid() == 0 else ""
    text = (TEMPLATE.read_text()
            .replace("@PORT_WEB@", str(port_web))
            .replace("@PORT_APP@", str(port_app))
            .replace("@USER@", user))
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return conf


def command(conf: Path) -> list[str]:
    """nginx in the foreground (honcho, the tests), errors to stderr from the first line."""
    nginx = shutil.which("nginx") or NGINX
    return [nginx, "-p", f"{conf.parent}/", "-c", str(conf), "-e", "stderr",
            "-g", "daemon off;"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default=str(ROOT / "var" / "nginx"))
    parser.add_argument("--run", action="store_true", help="then exec nginx with it")
    args = parser.parse_args()
    conf = render(Path(args.prefix), port_web=int(os.environ.get("PORT_WEB", "8000")),
                  port_app=int(os.environ.get("PORT_APP", "8001")))
    if not args.run:
        print(conf)
        return 0
    argv = command(conf)
    if not Path(argv[0]).exists():
        print("nginx is not installed: `make nginx` installs Debian's.", file=sys.stderr)
        return 2
    os.execv(argv[0], argv)


if __name__ == "__main__":
    sys.exit(main())
