"""Every exercise of the course, in order, and the selection ``check`` takes (7, 7.2, all)."""
from __future__ import annotations

from . import (chapter01, chapter02, chapter03, chapter04, chapter05, chapter06, chapter07, chapter08,
               chapter09, chapter10)

EXERCISES = [exercise for chapter in (chapter01, chapter02, chapter03, chapter04, chapter05, chapter06,
                                      chapter07, chapter08, chapter09, chapter10)
             for exercise in chapter.EXERCISES]


def select(which):
    """The exercises named by 'all', a chapter number ('7') or an exercise number ('7.2')."""
    if which == "all":
        return list(EXERCISES)
    chosen = [exercise for exercise in EXERCISES
              if exercise.key == which or ("." not in which and str(exercise.chapter) == which.lstrip("0"))]
    if not chosen:
        known = ", ".join(exercise.key for exercise in EXERCISES)
        raise ValueError(f"no exercise or chapter {which!r}; the exercises are {known}, or 'all'")
    return chosen
