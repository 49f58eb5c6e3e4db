"""Media tasks (to be built): process_video(video_id) and restart recovery."""
from contest.services.tasks import task


@task
def process_video(video_id: int) -> None:
    raise NotImplementedError
