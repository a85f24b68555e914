/**
 * Python source (part of the prelude, so part of the snapshot): network requests of a
 * step with a grant (`allow.net`) through the device of net-device.ts, offered as
 * `urllib.request.urlopen` (an opener whose http and https handlers ask the host) and
 * `pyodide.http.pyfetch` (a coroutine that completes without suspending, so
 * `asyncio.run(...)` or an `async def run` both work), and the errors in `sandflow`.
 * `__sf_install_net` runs after the hardening has removed Pyodide's own `pyodide.http`.
 */
export const PYTHON_NET = `
import urllib.request as _ur, urllib.error as _ue, urllib.response as _uresp, http.client as _hc

class _SfNetError(_ue.URLError):
    def __init__(self, message):
        super().__init__(message)
        self.message = message
    def __str__(self):
        return self.message

class NetworkDeniedError(_SfNetError):
    "The host is not granted to the step (allow.net), or the URL is refused."

class NetworkLimitError(_SfNetError):
    "The response is larger, or took longer, than the engine allows."

class NetworkError(_SfNetError):
    "The request failed (connection refused, DNS, a bad URL, too many redirects)."

for _c in (NetworkDeniedError, NetworkLimitError, NetworkError):
    _c.__module__ = "sandflow"
    setattr(_sf, _c.__name__, _c)
_sf_net_errors = {"NetworkDeniedError": NetworkDeniedError, "NetworkLimitError": NetworkLimitError, "StepTimeoutError": KeyboardInterrupt}

def _sf_net_fetch(url, method="GET", headers=(), body=None):
    "Asks the host; returns (status, status_text, headers, url, body) or raises a Network*Error."
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif body is not None and hasattr(body, "read"):
        body = body.read()
    elif body is not None and not isinstance(body, (bytes, bytearray, memoryview)):
        body = b"".join(body)
    meta = _json.dumps({"url": str(url), "method": str(method), "headers": [[str(k), str(v)] for k, v in headers]}).encode("utf-8")
    fd = os.open("/dev/sandflow-net", os.O_RDWR)
    try:
        os.write(fd, len(meta).to_bytes(4, "big") + meta + (bytes(body) if body is not None else b""))
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    n = int.from_bytes(data[:4], "big")
    reply = _json.loads(data[4:4 + n].decode("utf-8"))
    if not reply["ok"]:
        raise _sf_net_errors.get(reply["name"], NetworkError)(reply["message"])
    return reply["status"], reply["statusText"], reply["headers"], reply["url"], data[4 + n:]

def _sf_http_open(self, req):
    headers = dict(req.header_items())
    status, reason, pairs, url, body = _sf_net_fetch(req.full_url, req.get_method(), headers.items(), req.data)
    msg = _hc.HTTPMessage()
    for k, v in pairs:
        msg[k] = v
    resp = _uresp.addinfourl(io.BytesIO(body), msg, url, status)
    resp.msg = reason
    resp.reason = reason
    return resp

class _SfHTTPHandler(_ur.BaseHandler):
    handler_order = 100
    http_open = _sf_http_open
    https_open = _sf_http_open

_ur.HTTPHandler.http_open = _sf_http_open
if hasattr(_ur, "HTTPSHandler"):
    _ur.HTTPSHandler.https_open = _sf_http_open
_sf_opener = _ur.OpenerDirector()
for _h in (_SfHTTPHandler(), _ur.UnknownHandler(), _ur.HTTPDefaultErrorHandler(), _ur.HTTPErrorProcessor(), _ur.FileHandler(), _ur.DataHandler()):
    _sf_opener.add_handler(_h)
_ur.install_opener(_sf_opener)

class FetchResponse:
    "What pyfetch returns (the part of Pyodide's FetchResponse that makes sense here)."
    def __init__(self, status, status_text, headers, url, body):
        self.status, self.status_text, self.url, self._body = status, status_text, url, body
        self.headers = {k: v for k, v in headers}
        self.ok = 200 <= status < 300
        self.redirected = False
        self.type = "basic"
        self.body_used = False
    async def text(self):
        return self._body.decode("utf-8", "replace")
    async def string(self):
        return self._body.decode("utf-8", "replace")
    async def json(self, **kwargs):
        return _json.loads(self._body, **kwargs)
    async def bytes(self):
        return self._body
    async def memoryview(self):
        return memoryview(self._body)
    def raise_for_status(self):
        if self.status >= 400:
            raise OSError(str(self.status) + " " + ("Client" if self.status < 500 else "Server") + " Error: " + self.status_text + " for url: " + self.url)
    def clone(self):
        return FetchResponse(self.status, self.status_text, list(self.headers.items()), self.url, self._body)

async def pyfetch(url, **kwargs):
    "Fetches url through the host (see allow.net). Keyword arguments as JavaScript's fetch: method, headers, body."
    headers = kwargs.get("headers") or {}
    items = headers.items() if hasattr(headers, "items") else headers
    return FetchResponse(*_sf_net_fetch(url, kwargs.get("method", "GET"), items, kwargs.get("body")))

_sf_http = _types.ModuleType("pyodide.http", "pyfetch through the host (sandflow's network grants).")
_sf_http.pyfetch = pyfetch
_sf_http.FetchResponse = FetchResponse

def _sf_asyncio_run(main, **kwargs):
    "asyncio.run for steps: there is no event loop, so main may await only what completes at once (pyfetch)."
    if not _inspect.iscoroutine(main):
        raise ValueError("a coroutine was expected, got " + repr(main))
    result = _sf_complete(main)
    if result is _sf_suspended:
        raise RuntimeError("sandflow steps have no event loop: the coroutine given to asyncio.run may await only what completes at once (pyfetch)")
    return result

def __sf_install_net():
    import asyncio
    asyncio.run = _sf_asyncio_run
    import pyodide
    sys.modules["pyodide.http"] = _sf_http
    pyodide.http = _sf_http
`;
