"""Link every figure's image to the image file itself, so that a reader can open a chart at full size.

The book's charts are about 1,000 px wide PNGs drawn into the content column; on a phone (about 358 CSS px of
content) their text is too small to read, and a tap should open the picture alone, where the browser lets the
reader zoom. Sphinx already does this for images given a width, height or scale (``html_scaled_image_link``),
never for the book's charts, which have none. Here, once the HTML builder has chosen each image's file under
``_images`` (its ``post_process_images``, run for each page just before the page is written), each image in a
figure that is not already a link is wrapped in a link to that file, as Sphinx wraps a scaled image. The image
keeps its alt text; the link is internal, so the book still reads offline, and the strict build has nothing
new to warn about. Runs in the main process for every page, also in a parallel write.
"""

from __future__ import annotations

import posixpath

from docutils import nodes

LINK_CLASS = "figure-full-size"


def link_figure_images(builder, doctree: nodes.Node) -> None:
    """Wrap each image that stands directly in a figure (so not already in a link) in a link to its copy under
    ``_images``."""
    for image in list(doctree.findall(nodes.image)):
        if not isinstance(image.parent, nodes.figure):
            continue
        uri = image["uri"]
        if uri in builder.images:
            target = posixpath.join(builder.imgpath, builder.images[uri])
        elif "://" in uri or uri.startswith("data:"):
            continue  # not a file of the book: nothing of ours to open
        else:
            target = uri
        link = nodes.reference("", "", internal=True, refuri=target, classes=[LINK_CLASS])
        image.replace_self(link)
        link.append(image)


def _wrap_builder(app) -> None:
    builder = app.builder
    if builder.format != "html" or getattr(builder.post_process_images, "links_figures", False):
        return
    original = builder.post_process_images

    def post_process_images(doctree):
        original(doctree)  # the builder's own choice of files (and its links for scaled images)
        link_figure_images(builder, doctree)

    post_process_images.links_figures = True
    builder.post_process_images = post_process_images


def setup(app):
    app.connect("builder-inited", _wrap_builder)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
