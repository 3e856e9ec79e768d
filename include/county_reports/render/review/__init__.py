"""Checking a draft the office's clerk edited in Word or WPS against the generated one (issue 21):
``edited.review_edited`` and ``edited.restore_layout``; guard.py (a sound .docx, this report),
paragraphs.py (the text as read), figures.py (numbers against the sidecar), page.py (GB/T 9704),
restore.py (the layout back), diff.py (the paragraph diff), settings.py (edited.yaml)."""
