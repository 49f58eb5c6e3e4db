"""View tests run the fast media job (:mod:`tests.fast_media`) unless marked ``real_media``: their subject is
the pages and the flow around a video, not its transcoding, which the media tests cover."""
import pytest


@pytest.fixture(autouse=True)
def media_job(request):
    """The fake ``process_video`` for every view test; ``@pytest.mark.real_media`` keeps the real job."""
    if not request.node.get_closest_marker("real_media"):
        request.getfixturevalue("fast_media_job")
