#!/usr/bin/env python3
"""A browser for Herald's sign-in tests: set as $BROWSER, it is run with the
address to open, as a person's browser would be. It follows the OpenID
provider's pages over plain HTTP, keeping their cookies, and submits each
form it is shown, as the person would:

- a login form: the user name in $OIDC_USER (any password);
- a consent form, a device code's confirmation: it says yes.

It stops when a page has no form: the provider's "signed in" page, or, for
the browser sign-in, the app's own loopback page that the provider
redirected to. Each address it visited is appended to $OIDC_BROWSER_LOG
when set, so a test can see that it ran and where it ended.
"""

import html.parser
import http.cookiejar
import os
import sys
import urllib.parse
import urllib.request


class Forms(html.parser.HTMLParser):
    """The first form of a page: its action and the fields it would send."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = []
        self.buttons = []
        self.inside = False
        self.done = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.done:
            return
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.action, self.inside = attrs.get("action") or "", True
        elif self.inside and tag == "input":
            kind, name = (attrs.get("type") or "text").lower(), attrs.get("name")
            if name is None:
                return
            if kind == "hidden":
                self.fields.append((name, attrs.get("value") or ""))
            elif name == "login":
                self.fields.append((name, os.environ.get("OIDC_USER", "ana")))
            elif name == "password":
                self.fields.append((name, "any password"))
            elif kind == "text":
                self.fields.append((name, attrs.get("value") or ""))
        elif self.inside and tag == "button" and attrs.get("name"):
            self.buttons.append((attrs["name"], attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside, self.done = False, True


def log(url):
    path = os.environ.get("OIDC_BROWSER_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(url + "\n")


def main(url):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    response = opener.open(url, timeout=30)
    for _ in range(10):
        log(response.geturl())
        page = response.read().decode("utf-8", "replace")
        form = Forms()
        form.feed(page)
        if form.action is None:
            return 0
        # A confirmation's "yes" (or the only button), never an "abort".
        yes = [b for b in form.buttons if b[1] in ("yes", "")] or form.buttons[:1]
        body = urllib.parse.urlencode(form.fields + yes[:1]).encode()
        target = urllib.parse.urljoin(response.geturl(), form.action)
        response = opener.open(urllib.request.Request(target, data=body, method="POST"), timeout=30)
    print("browser.py: more than 10 forms; giving up", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
