"""The course's checker: ``python -m minigrad.course check 7`` grades your exercises against torch.

The chapters are in ``docs/course/``, the exercise stubs in ``exercises/`` (a
folder of plain files outside the package: the checker loads them by path,
``--exercises DIR``).  ``checker.py`` compares and explains; ``chapterNN.py``
holds each chapter's checks and the typical mistakes they recognise.
"""
