"""Writing CSV in chunks: what a streamed CSV download and a background export share."""
import io


def drain(out: io.StringIO) -> bytes:
    """What ``out`` holds so far, UTF-8 encoded; ``out`` is emptied for the next rows (so a CSV writer over it
    never holds more than one chunk)."""
    data = out.getvalue().encode("utf-8")
    out.seek(0)
    out.truncate()
    return data
