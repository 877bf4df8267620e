"""Portfolios through HTTP: images are re-encoded and thumbnailed, anyone reads them, only the owner changes them."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image, PngImagePlugin

from marketplace.models import PortfolioImage, PortfolioItem
from marketplace.services import portfolio_item_create

pytestmark = pytest.mark.django_db


def png(name="screen.png", size=(2600, 1300), colour=(200, 40, 90), comment="secret: the GPS of my home"):
    """A PNG carrying a text chunk, which re-encoding must drop."""
    buffer = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", comment)
    Image.new("RGB", size, colour).save(buffer, format="PNG", pnginfo=info)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def jpeg(name="photo.jpg", size=(900, 1600)):
    """A JPEG with EXIF (camera make and GPS), which re-encoding must drop."""
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPS
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="JPEG", exif=exif.tobytes())
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def body(**overrides):
    return {"title": "Booking site for a dental clinic", "description": "Django, PostgreSQL, SMS reminders.",
            "project_url": "https://example.com/clinic", **overrides}


def stored(field):
    with default_storage.open(field.name, "rb") as handle:
        data = handle.read()
    image = Image.open(io.BytesIO(data))
    image.load()
    return data, image


@pytest.fixture
def item(freelancer_user):
    return portfolio_item_create(freelancer=freelancer_user, data=body(), images=[png(size=(300, 200))])


class TestCreate:
    def test_a_freelancer_creates_an_item_with_two_images(self, client_for, freelancer_user):
        uploads = [png(), jpeg()]
        originals = [upload.read() for upload in uploads]
        for upload in uploads:
            upload.seek(0)
        response = client_for(freelancer_user).post("/api/portfolio", {**body(), "images": uploads},
                                                    format="multipart")
        assert response.status_code == 201, response.json()
        data = response.json()
        assert data["freelancer_id"] == freelancer_user.id and data["title"] == body()["title"]
        assert [image["position"] for image in data["images"]] == [0, 1]
        assert all(image["image"] and image["thumbnail"] for image in data["images"])

        images = list(PortfolioImage.objects.filter(item_id=data["id"]).order_by("position"))
        assert len(images) == 2
        for image, original in zip(images, originals, strict=True):
            full_bytes, full = stored(image.image)
            thumb_bytes, thumb = stored(image.thumbnail)
            assert full_bytes != original  # re-encoded, not stored as sent
            assert max(full.size) <= 2000 and max(thumb.size) <= 400
            assert not full.getexif() and not thumb.getexif()
            assert "Comment" not in full.info and "Comment" not in thumb.info
            assert b"secret" not in full_bytes and b"SpyCam" not in full_bytes and b"SpyCam" not in thumb_bytes
        png_full, jpeg_full = (stored(image.image)[1] for image in images)
        assert png_full.format == "PNG" and png_full.size == (2000, 1000)  # the aspect ratio is kept
        assert jpeg_full.format == "JPEG" and jpeg_full.size == (900, 1600)
        assert stored(images[1].thumbnail)[1].size == (225, 400)

    def test_the_images_are_served_publicly(self, client, client_for, freelancer_user):
        response = client_for(freelancer_user).post("/api/portfolio", {**body(), "images": [png(size=(50, 50))]},
                                                    format="multipart")
        image_url = response.json()["images"][0]["thumbnail"]
        path = image_url.split("testserver", 1)[-1]
        assert path.startswith("/media/portfolio/")
        served = client.get(path)
        assert served.status_code == 200
        assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (50, 50)

    def test_an_item_without_images_and_json(self, client_for, freelancer_user):
        response = client_for(freelancer_user).post("/api/portfolio", body(), format="json")
        assert response.status_code == 201
        assert response.json()["images"] == []

    @pytest.mark.parametrize("fake", [
        SimpleUploadedFile("cat.png", b"this is just text pretending to be a picture", content_type="image/png"),
        SimpleUploadedFile("cat.png", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", content_type="image/png"),
        SimpleUploadedFile("cat.png", b"\x89PNG\r\n\x1a\n" + b"broken" * 50, content_type="image/png"),
    ], ids=["text", "pdf", "truncated-png"])
    def test_a_fake_image_is_a_400_naming_the_field(self, client_for, freelancer_user, fake):
        fake.seek(0)
        response = client_for(freelancer_user).post("/api/portfolio", {**body(), "images": [png(), fake]},
                                                    format="multipart")
        assert response.status_code == 400, response.json()
        assert response.json()["error_type"] == "validation_error"
        assert "images" in response.json()["errors"]
        assert not PortfolioItem.objects.exists() and not PortfolioImage.objects.exists()

    def test_at_most_ten_images(self, client_for, freelancer_user):
        images = [png(f"{n}.png", size=(20, 20)) for n in range(11)]
        response = client_for(freelancer_user).post("/api/portfolio", {**body(), "images": images},
                                                    format="multipart")
        assert response.status_code == 400
        assert "images" in response.json()["errors"]

    @pytest.mark.parametrize(("field", "value"), [("title", ""), ("project_url", "not a url"),
                                                  ("description", "x" * 5001)])
    def test_bad_fields(self, client_for, freelancer_user, field, value):
        response = client_for(freelancer_user).post("/api/portfolio", body(**{field: value}), format="json")
        assert response.status_code == 400
        assert field in response.json()["errors"]

    def test_clients_and_anonymous_cannot_create(self, client_for, client_user, staff_user, api_client):
        assert client_for(client_user).post("/api/portfolio", body(), format="json").status_code == 403
        assert client_for(staff_user).post("/api/portfolio", body(), format="json").status_code == 403
        assert api_client.post("/api/portfolio", body(), format="json").status_code == 401
        assert not PortfolioItem.objects.exists()


class TestRead:
    def test_anyone_lists_a_freelancers_portfolio(self, api_client, client_for, client_user, make_user, item):
        other = make_user("freelancer")
        portfolio_item_create(freelancer=other, data=body(title="Someone else's work"), images=[])
        for reader in (api_client, client_for(client_user), client_for(other)):
            rows = reader.get("/api/portfolio", {"freelancer": item.freelancer_id}).json()["results"]
            assert [row["id"] for row in rows] == [item.id]
            assert len(rows[0]["images"]) == 1
        assert api_client.get(f"/api/portfolio/{item.id}").json()["title"] == item.title
        # Without ?freelancer= the caller sees their own; anonymous callers see nothing.
        assert api_client.get("/api/portfolio").json()["count"] == 0
        assert [row["id"] for row in client_for(item.freelancer).get("/api/portfolio").json()["results"]] == [item.id]
        assert api_client.get("/api/portfolio", {"freelancer": "abc"}).json()["count"] == 0

    def test_a_suspended_freelancers_portfolio_is_hidden(self, api_client, item):
        from accounts.services import user_set_active

        user_set_active(user=item.freelancer, active=False)
        assert api_client.get("/api/portfolio", {"freelancer": item.freelancer_id}).json()["count"] == 0
        assert api_client.get(f"/api/portfolio/{item.id}").status_code == 404

    def test_the_freelancer_profile_shows_the_portfolio(self, api_client, item):
        profile = api_client.get(f"/api/freelancers/{item.freelancer_id}").json()
        assert [row["id"] for row in profile["portfolio"]] == [item.id]

    def test_unknown_item_is_404(self, api_client):
        assert api_client.get("/api/portfolio/999999").status_code == 404


class TestChange:
    def test_only_the_owner_edits(self, client_for, make_user, client_user, staff_user, api_client, item):
        url = f"/api/portfolio/{item.id}"
        for stranger in (client_for(make_user("freelancer")), client_for(client_user), client_for(staff_user)):
            assert stranger.patch(url, {"title": "Stolen"}, format="json").status_code == 404
            assert stranger.put(url, body(title="Stolen"), format="json").status_code == 404
        assert api_client.patch(url, {"title": "Stolen"}, format="json").status_code == 401
        assert PortfolioItem.objects.get(pk=item.pk).title == item.title

        owner = client_for(item.freelancer)
        response = owner.patch(url, {"title": "Clinic booking, version 2", "images": [jpeg(size=(3000, 500))]},
                               format="multipart")
        assert response.status_code == 200, response.json()
        assert response.json()["title"] == "Clinic booking, version 2"
        assert [image["position"] for image in response.json()["images"]] == [0, 1]
        added = PortfolioImage.objects.get(item=item, position=1)
        assert stored(added.image)[1].size == (2000, 333)
        replaced = owner.put(url, body(title="Replaced", project_url=""), format="json")
        assert replaced.status_code == 200 and replaced.json()["project_url"] == ""

    def test_only_the_owner_deletes_and_the_files_go(self, client_for, make_user, client_user, staff_user,
                                                     api_client, item):
        url = f"/api/portfolio/{item.id}"
        image = item.images.get()
        names = [image.image.name, image.thumbnail.name]
        assert all(default_storage.exists(name) for name in names)
        for stranger in (client_for(make_user("freelancer")), client_for(client_user), client_for(staff_user)):
            assert stranger.delete(url).status_code == 404
        assert api_client.delete(url).status_code == 401
        assert PortfolioItem.objects.filter(pk=item.pk).exists()
        assert client_for(item.freelancer).delete(url).status_code == 204
        assert not PortfolioItem.objects.filter(pk=item.pk).exists()
        assert not any(default_storage.exists(name) for name in names)
        assert api_client.get(url).status_code == 404


def test_list_queries_do_not_grow_with_page_size(api_client, freelancer_user):
    small = png(size=(16, 16))
    for n in range(50):
        small.seek(0)
        portfolio_item_create(freelancer=freelancer_user, data=body(title=f"Work {n}"),
                              images=[small] if n % 3 == 0 else [])

    def count(size):
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get("/api/portfolio", {"freelancer": freelancer_user.id, "page_size": size})
        assert len(response.json()["results"]) == size
        return len(queries)

    assert count(5) == count(50)
