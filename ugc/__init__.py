"""自媒体自制资源: readers' own works, collections, moderation and the public gallery (issue 3)."""
