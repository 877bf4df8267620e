"""What `make run` shows once the server is up: where it is, who to sign in as, and where e-mails go."""

from django.conf import settings

from accounts.demo import CLIENTS, DEMO_PASSWORD, FREELANCERS, STAFF


def serve_banner(*, url: str, frontend_url: str | None = None) -> str:
    url = url.rstrip("/")
    frontend_url = (frontend_url or settings.FRONTEND_URL).rstrip("/")
    rows = [("staff", STAFF["email"], STAFF["password"])]
    rows += [("client", person["email"], DEMO_PASSWORD) for person in CLIENTS]
    rows += [("freelancer", person["email"], DEMO_PASSWORD) for person in FREELANCERS]
    width = max(len(email) for _, email, _ in rows)
    lines = [
        f"MegiLance is running on {url}/   (Ctrl-C stops it)",
        "",
        "Demo logins:",
        *(f"  {who:<11} {email:<{width}}  {password}" for who, email, password in rows),
        "",
        f"Staff pages:  {url}/staff/dashboard/  and  {url}/admin/",
    ]
    if settings.DEV_INBOX_DIR:
        lines.append(f"Dev inbox:    {url}/dev/inbox/   (every e-mail this server sends)")
    if frontend_url != url:
        lines.append(f"Links in e-mails point at {frontend_url}/ (FRONTEND_URL).")
    return "\n".join(lines)
