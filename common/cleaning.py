"""What a file says besides what it shows, taken out before it is kept (a complaint's photos and PDFs, a
report's evidence; common.files reads what a file is): a photo's EXIF (the place it was
taken, by GPS; the camera or phone and its serial number; the time), its XMP and IPTC, comments, colour
profiles; a PDF's document information (author, the program, dates) and XMP metadata, and the hidden data
of the JPEG photos inside it. Pure: no nameko, no storage (Pillow for images, pikepdf for PDFs).

A photo is drawn again from its pixels, turned upright first (its EXIF orientation would otherwise be lost
with the EXIF), so nothing but the picture is written; a PDF is written again by qpdf without its metadata
and with a file identifier made from its content (the original's may name the machine that made it).
"""
from __future__ import annotations

import io
import logging

import pikepdf
from PIL import Image, ImageOps, UnidentifiedImageError

# A photo from a phone has 12 to 50 million pixels; a file of 5 MB that unpacks to far more is a bomb.
MAX_PIXELS = 64_000_000
JPEG_QUALITY = 92
# Pillow's debug lines name every EXIF tag it reads, with its value (the phone, GPS): never in a log.
logging.getLogger("PIL").setLevel(logging.INFO)


class Unreadable(ValueError):
    """A file that is not the photo or PDF its first bytes claim."""


def cleaned(content: bytes, content_type: str) -> bytes:
    """The file without its metadata; Unreadable when it cannot be read as `content_type`."""
    if content_type in ("image/jpeg", "image/png"):
        return _image(content, "JPEG" if content_type == "image/jpeg" else "PNG")
    if content_type == "application/pdf":
        return _pdf(content)
    raise Unreadable(content_type)


def _open_image(content: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(content))
        if image.width * image.height > MAX_PIXELS:
            raise Unreadable("too many pixels")
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Unreadable(str(exc)) from None
    return image


def _image(content: bytes, kind: str) -> bytes:
    image = ImageOps.exif_transpose(_open_image(content))  # upright, as it was shown
    if kind == "JPEG" and image.mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")
    # A new image holding only the pixels (and a palette): no info, EXIF, XMP, ICC profile or text chunk
    # of the original can travel with it.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    if image.mode == "P":
        clean.putpalette(image.getpalette())
        if "transparency" in image.info:  # what is see-through stays so (a PNG's tRNS is no metadata)
            clean.info["transparency"] = image.info["transparency"]
    out = io.BytesIO()
    if kind == "JPEG":
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        clean.save(out, "PNG", optimize=True)
    return out.getvalue()


def _pdf(content: bytes) -> bytes:
    try:
        pdf = pikepdf.open(io.BytesIO(content))
    except (pikepdf.PdfError, ValueError) as exc:
        raise Unreadable(str(exc)) from None
    with pdf:
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        for each in pdf.objects:  # XMP on the catalog, on pages, on images; and applications' private data
            if isinstance(each, pikepdf.Dictionary) or isinstance(each, pikepdf.Stream):
                for key in ("/Metadata", "/PieceInfo"):
                    if key in each:
                        del each[key]
        for page in pdf.pages:
            for image in page.get_images().values():  # nested in form XObjects too
                _clean_embedded_photo(image)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _clean_embedded_photo(image: pikepdf.Stream) -> None:
    """A JPEG photo inside a PDF carries its EXIF (GPS too) in its own bytes: written again from its pixels
    (greyscale and colour photos; a CMYK one, rare outside print, is left as it is)."""
    if image.get("/Filter") != pikepdf.Name.DCTDecode:
        return
    try:
        photo = Image.open(io.BytesIO(image.read_raw_bytes()))
        if photo.mode not in ("L", "RGB"):
            return
        photo.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return
    clean = Image.frombytes(photo.mode, photo.size, photo.tobytes())
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY)
    image.write(out.getvalue(), filter=pikepdf.Name.DCTDecode)
