"""The favicon: no 404 on any page."""


def test_favicon_is_served_and_named_by_the_pages(client, db):
    r = client.get("/favicon.ico")
    assert r.status_code == 302
    icon = client.get(r["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)
    page = client.get("/login/")
    assert 'rel="icon" href="/static/favicon.svg"' in page.content.decode()
    h5 = client.get("/h5/")
    assert 'rel="icon" href="/static/favicon.svg"' in h5.content.decode()
