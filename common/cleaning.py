"""What a file says besides what it shows, taken out before it is kept (a complaint's photos and PDFs, a
report's evidence; common.files reads what a file is): a photo's EXIF (the place it was
taken, by GPS; the camera or phone and its serial number; the time), its XMP and IPTC, comments, colour
profiles; a PDF's document information (author, the program, dates) and XMP metadata, the hidden data
of the JPEG photos inside it (wherever they sit), the files inside it, its scripts and the actions a viewer
would run (a program, a form sent away), its pages' thumbnails, its earlier revisions and who wrote a
comment when. Pure: no nameko, no storage (Pillow for images, pikepdf for PDFs).

A photo is drawn again from its pixels, turned upright first (its EXIF orientation would otherwise be lost
with the EXIF), so nothing but the picture is written; a PDF is written again by qpdf without its metadata
and with a file identifier made from its content (the original's may name the machine that made it).
"""
from __future__ import annotations

import io
import logging
import zlib

import pikepdf
from PIL import Image, ImageOps, UnidentifiedImageError

# A photo from a phone has 12 to 50 million pixels; a file of 5 MB that unpacks to far more is a bomb.
MAX_PIXELS = 64_000_000
JPEG_QUALITY = 92
# A JPEG inside a PDF, unpacked from the compression around it: far more than a photo of MAX_PIXELS takes.
MAX_PHOTO_BYTES = 64 * 2 ** 20
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


# Actions a PDF viewer runs or follows out of the document when it is opened, a page is shown or something is
# clicked: a script, a program, a form sent somewhere, a file inside the PDF. A link (URI, GoTo) stays.
HARMFUL_ACTIONS = frozenset(pikepdf.Name(each) for each in (
    "/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/Rendition", "/RichMediaExecute"))
# Keys taken off every dictionary: XMP; applications' private data; actions run on events (open, close, a
# page shown, a field left); the bytes of a file inside the PDF (a file specification's /EF) and the files
# associated with the document or a part of it (PDF 2.0); a page's thumbnail (it may show the page as it was
# before an edit); an XFA form (it carries its own scripts).
DROPPED_KEYS = frozenset({"/Metadata", "/PieceInfo", "/AA", "/EF", "/AF", "/Thumb", "/XFA"})
# Where an action is named: a link's or field's, the document's on opening, the next of an action.
ACTION_KEYS = frozenset({"/A", "/OpenAction", "/Next"})
# What names its reviewer and when on a comment (never on a form field, whose /T is its name).
COMMENT_KEYS = frozenset({"/T", "/M", "/CreationDate"})


def _pdf(content: bytes) -> bytes:
    try:
        return _rewritten(content)
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a damaged or hostile file makes qpdf raise (a
        # RuntimeError for a page tree that does not add up, a recursion too deep) is a file refused, not a 500
        raise Unreadable(f"{type(exc).__name__}: {exc}") from None


def _rewritten(content: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(content)) as pdf:
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        # Every object of the file once (a photo used on every page is drawn again once), with the
        # dictionaries and arrays written inside it; the parts no longer named are not written out.
        for each in list(pdf.objects):
            _clean_object(each)
        if "/Names" in pdf.Root:  # the document's scripts and its files inside
            for tree in ("/JavaScript", "/EmbeddedFiles"):
                if tree in pdf.Root.Names:
                    del pdf.Root.Names[tree]
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)  # a full rewrite: earlier revisions (incremental updates) go
    return out.getvalue()


def _clean_object(each) -> None:
    if isinstance(each, (pikepdf.Dictionary, pikepdf.Stream)):
        keys = set(each.keys())  # asked once: a PDF of 10 MB may hold a hundred thousand objects
        for key in keys & DROPPED_KEYS:
            del each[key]
        for key in keys & ACTION_KEYS:
            if _harmful(each[key]):
                del each[key]
            elif key == "/Next" and isinstance(each[key], pikepdf.Array):
                each[key] = pikepdf.Array([step for step in each[key] if not _harmful(step)])
        if "/Rect" in keys and "/Subtype" in keys and each.Subtype != pikepdf.Name.Widget:
            for key in keys & COMMENT_KEYS:
                del each[key]
        if "/Subtype" in keys and isinstance(each, pikepdf.Stream) and each.Subtype == pikepdf.Name.Image:
            _clean_embedded_photo(each)
        children = [each[key] for key in each.keys()]
    elif isinstance(each, pikepdf.Array):
        children = list(each)
    else:
        return
    for child in children:  # written inside this object (an indirect one is visited on its own)
        if isinstance(child, (pikepdf.Dictionary, pikepdf.Array)) and not child.is_indirect:
            _clean_object(child)


def _harmful(action) -> bool:
    return isinstance(action, pikepdf.Dictionary) and action.get("/S") in HARMFUL_ACTIONS


def _clean_embedded_photo(image: pikepdf.Stream) -> None:
    """A JPEG photo inside a PDF carries its EXIF (GPS too) in its own bytes: written again from its pixels
    (greyscale and colour photos; a CMYK one, rare outside print, is left as it is), whatever filters wrap
    it. One larger than a photo sent alone may be is refused (Pillow itself allows far more)."""
    filters = image.get("/Filter")
    filters = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
    if not filters or filters[-1] != pikepdf.Name.DCTDecode:
        return
    try:
        photo = Image.open(io.BytesIO(_unwrapped(image, filters)))
    except Image.DecompressionBombError:  # its header claims more pixels than Pillow opens: never kept as it is
        raise Unreadable("a photo inside with too many pixels") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        if isinstance(exc, Unreadable):
            raise
        return
    if photo.width * photo.height > MAX_PIXELS:
        raise Unreadable("a photo inside with too many pixels")
    if photo.mode not in ("L", "RGB"):
        return
    try:
        photo.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return
    clean = Image.frombytes(photo.mode, photo.size, photo.tobytes())
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY)
    image.write(out.getvalue(), filter=pikepdf.Name.DCTDecode)
    if "/DecodeParms" in image:
        del image["/DecodeParms"]


def _unwrapped(image: pikepdf.Stream, filters: list) -> bytes:
    """A JPEG's own bytes, out of the compression that may wrap it ([/FlateDecode /DCTDecode]), unpacked to
    at most MAX_PHOTO_BYTES (a few kilobytes of zlib could unpack to gigabytes). A JPEG wrapped otherwise is
    refused: it could not be cleaned."""
    if len(filters) == 1:
        return image.read_raw_bytes()
    if filters[:-1] != [pikepdf.Name.FlateDecode]:
        raise Unreadable("a photo inside wrapped in filters not read")
    unpacking = zlib.decompressobj()
    try:
        jpeg = unpacking.decompress(image.read_raw_bytes(), MAX_PHOTO_BYTES)
    except zlib.error as exc:
        raise Unreadable(str(exc)) from None
    if unpacking.unconsumed_tail:
        raise Unreadable("a photo inside that unpacks to too much")
    return jpeg
