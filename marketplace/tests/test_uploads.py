"""Files on projects and proposals: recognised by content, limited, private; on local disk and on S3 (moto)."""

import io
import random
import urllib.parse
import urllib.request
import uuid

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from marketplace.models import Attachment, PortfolioImage
from marketplace.services import invite_create
from marketplace.tests.factories import make_project, make_proposal

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + bytes(200)
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(100) + b"This program cannot"
RANDOM = random.Random(7).randbytes(4096)


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def png_bytes(size=(64, 48), comment="hidden note"):
    buffer = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", comment)
    Image.new("RGB", size, (0, 128, 64)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def attach(api, url, *files):
    return api.post(url, {"files": list(files)}, format="multipart")


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def project(client_user):
    return make_project(client_user)


@pytest.fixture
def proposal(freelancer_user, project):
    return make_proposal(freelancer_user, project)


def project_url(project):
    return f"/api/projects/{project.id}/attachments"


def proposal_url(proposal):
    return f"/api/proposals/{proposal.id}/attachments"


# --- local disk ---------------------------------------------------------------------------------


class TestWhatIsAccepted:
    def test_a_pdf_named_txt_is_stored_as_a_pdf(self, client_for, project):
        response = attach(client_for(project.client), project_url(project), upload("notes.txt", PDF, "text/plain"))
        assert response.status_code == 201, response.json()
        (row,) = response.json()
        assert row["content_type"] == "application/pdf"
        assert row["original_name"] == "notes.txt" and row["size"] == len(PDF)
        assert row["url"] == f"/api/attachments/{row['id']}"
        attachment = Attachment.objects.get(pk=row["id"])
        assert attachment.file.name.startswith("attachments/") and attachment.file.name.endswith(".pdf")
        assert "notes" not in attachment.file.name  # stored under a random name
        with default_storage.open(attachment.file.name, "rb") as handle:
            assert handle.read() == PDF

    @pytest.mark.parametrize(("name", "content", "expected"), [
        ("readme.pdf", "Plain words, accents too: café, naïve.".encode(), "text/plain"),
        ("brief.docx", b"PK\x03\x04" + bytes(60), "application/vnd.openxmlformats-officedocument"
                                                  ".wordprocessingml.document"),
        ("archive.bin", b"PK\x03\x04" + bytes(60), "application/zip"),
        ("photo.jpg", png_bytes(), "image/png"),
    ])
    def test_the_type_comes_from_the_content(self, client_for, project, name, content, expected):
        response = attach(client_for(project.client), project_url(project), upload(name, content))
        assert response.status_code == 201, response.json()
        assert response.json()[0]["content_type"] == expected

    def test_images_are_re_encoded(self, client_for, project):
        original = png_bytes(size=(3000, 1000))
        response = attach(client_for(project.client), project_url(project), upload("plan.png", original))
        attachment = Attachment.objects.get(pk=response.json()[0]["id"])
        with default_storage.open(attachment.file.name, "rb") as handle:
            stored = handle.read()
        assert stored != original and b"hidden note" not in stored
        assert Image.open(io.BytesIO(stored)).size == (2400, 800)
        assert attachment.size == len(stored)

    @pytest.mark.parametrize("content", [ELF, WINDOWS_EXE, RANDOM, b"\x00\x01\x02\x03" * 100],
                             ids=["elf", "windows-exe", "random", "binary"])
    @pytest.mark.parametrize("name", ["report.pdf", "notes.txt", "run"])
    def test_executables_and_unknown_binaries_are_rejected(self, client_for, project, content, name):
        response = attach(client_for(project.client), project_url(project), upload(name, content))
        assert response.status_code == 400, response.json()
        assert response.json()["error_type"] == "validation_error"
        assert "files" in response.json()["errors"]
        assert not Attachment.objects.exists()

    def test_a_fake_image_is_rejected(self, client_for, project):
        fake = b"\x89PNG\r\n\x1a\n" + bytes(300)
        response = attach(client_for(project.client), project_url(project), upload("shot.png", fake))
        assert response.status_code == 400
        assert "files" in response.json()["errors"]

    def test_size_limits(self, client_for, project):
        api = client_for(project.client)
        too_big = attach(api, project_url(project), upload("big.txt", b"a" * (10 * 1024 * 1024 + 1)))
        assert too_big.status_code == 400
        assert "10 MB" in too_big.json()["errors"]["files"][0]
        empty = attach(api, project_url(project), upload("empty.txt", b""))
        assert empty.status_code == 400 and "files" in empty.json()["errors"]
        assert attach(api, project_url(project)).status_code == 400  # nothing attached
        assert not Attachment.objects.exists()
        just_fits = attach(api, project_url(project), upload("fits.txt", b"a" * (10 * 1024 * 1024)))
        assert just_fits.status_code == 201

    def test_at_most_ten_files_per_parent(self, client_for, project):
        api = client_for(project.client)
        files = [upload(f"{n}.txt", f"file {n}".encode()) for n in range(10)]
        assert attach(api, project_url(project), *files).status_code == 201
        eleventh = attach(api, project_url(project), upload("11.txt", b"one too many"))
        assert eleventh.status_code == 400 and "files" in eleventh.json()["errors"]
        assert Attachment.objects.filter(project=project).count() == 10

    def test_one_bad_file_rejects_the_whole_upload(self, client_for, project):
        """A 400 must mean nothing was stored: the good file sent beside the bad one is not kept."""
        response = attach(client_for(project.client), project_url(project), upload("good.pdf", PDF),
                          upload("evil.pdf", ELF))
        assert response.status_code == 400
        assert not Attachment.objects.filter(project=project).exists()

    def test_too_many_files_at_once_store_nothing(self, client_for, project):
        files = [upload(f"{n}.txt", f"file {n}".encode()) for n in range(11)]
        response = attach(client_for(project.client), project_url(project), *files)
        assert response.status_code == 400
        assert "files" in response.json()["errors"]
        assert not Attachment.objects.filter(project=project).exists()


class TestWhoAdds:
    def test_only_the_project_owner_adds_to_a_project(self, client_for, make_user, staff_user, api_client,
                                                      project, proposal):
        for other in (make_user("client"), proposal.freelancer, make_user("freelancer"), staff_user):
            response = attach(client_for(other), project_url(project), upload("x.pdf", PDF))
            assert response.status_code == 404, other
        assert attach(api_client, project_url(project), upload("x.pdf", PDF)).status_code == 401
        assert attach(client_for(project.client), "/api/projects/999999/attachments",
                      upload("x.pdf", PDF)).status_code == 404
        assert not Attachment.objects.exists()

    def test_only_the_freelancer_adds_to_a_proposal(self, client_for, make_user, staff_user, api_client,
                                                    project, proposal):
        for other in (project.client, make_user("client"), make_user("freelancer"), staff_user):
            response = attach(client_for(other), proposal_url(proposal), upload("x.pdf", PDF))
            assert response.status_code == 404, other
        assert attach(api_client, proposal_url(proposal), upload("x.pdf", PDF)).status_code == 401
        response = attach(client_for(proposal.freelancer), proposal_url(proposal), upload("cv.pdf", PDF))
        assert response.status_code == 201
        assert Attachment.objects.get().proposal_id == proposal.id

    def test_attachments_show_on_their_parent(self, client_for, project, proposal):
        attach(client_for(project.client), project_url(project), upload("spec.pdf", PDF))
        attach(client_for(proposal.freelancer), proposal_url(proposal), upload("cv.pdf", PDF))
        project_body = client_for(proposal.freelancer).get(f"/api/projects/{project.id}").json()
        assert [row["original_name"] for row in project_body["attachments"]] == ["spec.pdf"]
        proposal_body = client_for(project.client).get(f"/api/proposals/{proposal.id}").json()
        assert [row["original_name"] for row in proposal_body["attachments"]] == ["cv.pdf"]


class TestDownload:
    def assert_downloads(self, api, attachment_id, content=PDF, name="spec.pdf"):
        response = api.get(f"/api/attachments/{attachment_id}")
        assert response.status_code == 200
        assert body_of(response) == content
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;") and name in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"

    def add(self, api, url, name="spec.pdf"):
        response = attach(api, url, upload(name, PDF))
        assert response.status_code == 201, response.json()
        return response.json()[0]["id"]

    def test_a_public_projects_files(self, client_for, make_user, staff_user, api_client, project):
        file_id = self.add(client_for(project.client), project_url(project))
        for reader in (project.client, make_user("freelancer"), make_user("client"), staff_user):
            self.assert_downloads(client_for(reader), file_id)
        assert api_client.get(f"/api/attachments/{file_id}").status_code == 401
        assert client_for(project.client).get("/api/attachments/999999").status_code == 404

    def test_a_drafts_files(self, client_for, make_user, staff_user, client_user):
        draft = make_project(client_user, status="draft")
        file_id = self.add(client_for(client_user), project_url(draft))
        self.assert_downloads(client_for(client_user), file_id)
        self.assert_downloads(client_for(staff_user), file_id)
        for stranger in (make_user("freelancer"), make_user("client")):
            assert client_for(stranger).get(f"/api/attachments/{file_id}").status_code == 404

    def test_an_invite_only_projects_files(self, client_for, make_user, client_user):
        private = make_project(client_user, visibility="invite_only")
        file_id = self.add(client_for(client_user), project_url(private))
        invited, uninvited = make_user("freelancer"), make_user("freelancer")
        invite_create(client=client_user, project=private, freelancer=invited)
        self.assert_downloads(client_for(invited), file_id)
        for stranger in (uninvited, make_user("client")):
            assert client_for(stranger).get(f"/api/attachments/{file_id}").status_code == 404

    def test_a_proposals_files(self, client_for, make_user, staff_user, project, proposal):
        file_id = self.add(client_for(proposal.freelancer), proposal_url(proposal), name="cv.pdf")
        for reader in (proposal.freelancer, project.client, staff_user):
            self.assert_downloads(client_for(reader), file_id, name="cv.pdf")
        for stranger in (make_user("freelancer"), make_user("client")):
            assert client_for(stranger).get(f"/api/attachments/{file_id}").status_code == 404

    def test_media_never_serves_attachments(self, client, client_for, project, proposal):
        file_id = self.add(client_for(project.client), project_url(project))
        attachment = Attachment.objects.get(pk=file_id)
        assert default_storage.exists(attachment.file.name)
        client.force_login(project.client)  # not even the owner, with a session
        assert client.get(f"/media/{attachment.file.name}").status_code == 404
        assert client.get("/media/attachments/").status_code == 404
        # Public media (a portfolio image) is served from the same place.
        item = client_for(proposal.freelancer).post("/api/portfolio", {
            "title": "Shop", "images": [upload("shot.png", png_bytes())]}, format="multipart").json()
        image = PortfolioImage.objects.get(item_id=item["id"])
        assert client.get(f"/media/{image.thumbnail.name}").status_code == 200

    def test_only_the_uploader_deletes(self, client_for, make_user, staff_user, project, proposal):
        file_id = self.add(client_for(proposal.freelancer), proposal_url(proposal), name="cv.pdf")
        name = Attachment.objects.get(pk=file_id).file.name
        for other in (project.client, make_user("freelancer"), staff_user):
            assert client_for(other).delete(f"/api/attachments/{file_id}").status_code == 404
        assert client_for(proposal.freelancer).delete(f"/api/attachments/{file_id}").status_code == 204
        assert not Attachment.objects.filter(pk=file_id).exists()
        assert not default_storage.exists(name)
        assert client_for(project.client).get(f"/api/attachments/{file_id}").status_code == 404


# --- S3 through django-storages, against moto's server --------------------------------------------


@pytest.fixture
def s3(settings, moto_server):
    """A fresh private bucket on moto's S3, made the default storage for the test."""
    import boto3

    bucket = f"megilance-test-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": bucket, "endpoint_url": moto_server, "region_name": "us-east-1",
                    "access_key": "testing", "secret_key": "testing", "default_acl": "private",
                    "querystring_auth": True, "file_overwrite": False},
    }}
    client.bucket = bucket  # type: ignore[attr-defined]
    yield client
    for row in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        client.delete_object(Bucket=bucket, Key=row["Key"])
    client.delete_bucket(Bucket=bucket)


def keys(s3):
    return {row["Key"] for row in s3.list_objects_v2(Bucket=s3.bucket).get("Contents", [])}


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers


class TestS3:
    def test_the_default_storage_is_the_bucket(self, s3):
        assert default_storage.bucket_name == s3.bucket
        default_storage.save("probe.txt", io.BytesIO(b"probe"))
        assert "probe.txt" in keys(s3)

    def test_an_attachment_is_stored_privately_and_served_by_a_signed_link(self, s3, client_for, make_user,
                                                                          project, moto_server):
        response = attach(client_for(project.client), project_url(project), upload("notes.txt", PDF))
        assert response.status_code == 201, response.json()
        attachment = Attachment.objects.get(pk=response.json()[0]["id"])
        assert attachment.file.name in keys(s3)
        assert s3.get_object(Bucket=s3.bucket, Key=attachment.file.name)["Body"].read() == PDF
        grants = s3.get_object_acl(Bucket=s3.bucket, Key=attachment.file.name)["Grants"]
        assert not any("AllUsers" in grant["Grantee"].get("URI", "") for grant in grants)

        download = client_for(make_user("freelancer")).get(f"/api/attachments/{attachment.id}")
        assert download.status_code == 302
        location = download["Location"]
        assert location.startswith(moto_server)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
        assert "X-Amz-Signature" in query or "Signature" in query
        assert int(query.get("X-Amz-Expires", query.get("Expires", ["0"]))[0]) > 0
        content, headers = fetch(location)
        assert content == PDF
        assert "notes.txt" in headers.get("Content-Disposition", "")

    def test_no_link_for_those_who_may_not_see_it(self, s3, client_for, make_user, client_user):
        draft = make_project(client_user, status="draft")
        file_id = attach(client_for(client_user), project_url(draft), upload("x.pdf", PDF)).json()[0]["id"]
        assert client_for(make_user("freelancer")).get(f"/api/attachments/{file_id}").status_code == 404
        assert client_for(client_user).get(f"/api/attachments/{file_id}").status_code == 302

    def test_a_proposal_attachment_with_a_non_ascii_name(self, s3, client_for, project, proposal):
        content = "Lebenslauf: Zürich, Café, 東京".encode()
        response = attach(client_for(proposal.freelancer), proposal_url(proposal), upload("Lebenslauf Zürich.txt",
                                                                                           content))
        assert response.status_code == 201
        download = client_for(project.client).get(f"/api/attachments/{response.json()[0]['id']}")
        assert download.status_code == 302
        assert fetch(download["Location"])[0] == content

    def test_deleting_removes_the_object(self, s3, client_for, project):
        file_id = attach(client_for(project.client), project_url(project), upload("x.pdf", PDF)).json()[0]["id"]
        key = Attachment.objects.get(pk=file_id).file.name
        assert key in keys(s3)
        assert client_for(project.client).delete(f"/api/attachments/{file_id}").status_code == 204
        assert key not in keys(s3)

    def test_a_rejected_upload_leaves_nothing_in_the_bucket(self, s3, client_for, project, freelancer_user):
        """A 400 stores nothing: neither an attachment nor a portfolio image sent beside a bad file stays behind."""
        response = attach(client_for(project.client), project_url(project), upload("good.pdf", PDF),
                          upload("evil.pdf", ELF))
        assert response.status_code == 400
        portfolio = client_for(freelancer_user).post("/api/portfolio", {
            "title": "Shop", "images": [upload("good.png", png_bytes()), upload("fake.png", b"just text")]},
            format="multipart")
        assert portfolio.status_code == 400 and "images" in portfolio.json()["errors"]
        assert keys(s3) == set()

    def test_an_avatar_lands_in_the_bucket(self, s3, client_for, freelancer_user, moto_server):
        response = client_for(freelancer_user).patch("/api/auth/me", {"avatar": upload("me.png", png_bytes())},
                                                     format="multipart")
        assert response.status_code == 200, response.json()
        freelancer_user.refresh_from_db()
        assert freelancer_user.avatar.name in keys(s3)
        stored = s3.get_object(Bucket=s3.bucket, Key=freelancer_user.avatar.name)["Body"].read()
        assert b"hidden note" not in stored and Image.open(io.BytesIO(stored)).size == (64, 48)
        assert response.json()["avatar"].startswith(moto_server)
        assert fetch(response.json()["avatar"])[0] == stored

    def test_a_portfolio_image_lands_in_the_bucket(self, s3, client_for, freelancer_user):
        response = client_for(freelancer_user).post("/api/portfolio", {
            "title": "Dashboard", "images": [upload("dash.png", png_bytes(size=(1600, 900)))]}, format="multipart")
        assert response.status_code == 201, response.json()
        image = PortfolioImage.objects.get(item_id=response.json()["id"])
        assert {image.image.name, image.thumbnail.name} <= keys(s3)
        thumbnail = s3.get_object(Bucket=s3.bucket, Key=image.thumbnail.name)["Body"].read()
        assert Image.open(io.BytesIO(thumbnail)).size == (400, 225)
        assert fetch(response.json()["images"][0]["thumbnail"])[0] == thumbnail
