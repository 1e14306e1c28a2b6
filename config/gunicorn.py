"""gunicorn settings for every web server we start: the Procfiles, the tests, the benches
(`gunicorn config.asgi -c config/gunicorn.py ...`). docs/web-server.md says why.

- The ASGI worker (gunicorn's own, `asgi`): a request's body is read by the event loop
  before Django runs the view (Django's ASGIHandler reads it whole), so a client trickling
  its body holds a coroutine, not a thread. With the gthread workers 12 such clients held
  all 2 × 4 threads and /healthz waited for them. Each sync view then runs in a thread of its
  own (asgiref's ThreadSensitiveContext per request), so views still run side by side.
- No control socket: by default every gunicorn on the machine shares ~/.gunicorn/gunicorn.ctl
  and the last one started takes it from the others (a test's server beside `make run`).
"""

worker_class = "asgi"
control_socket_disable = True

# Idle keep-alive connections stay open 75 s (gunicorn's default is 2 s). A client reusing a
# connection the server has just closed gets a reset: nginx answered 502 to 2 pays in 1,000
# behind it in `make run-scale` (it keeps upstream connections 60 s and does not resend a
# POST), and 2 donors of 200 lost a pay in the `make run` layout (bench/spike.py). Longer
# than nginx's 60 s upstream keep-alive and most clients'; an idle connection costs the ASGI
# worker a coroutine, not a thread.
keepalive = 75
