"""The exercises by name, in the order of the lectures."""

from ninjagrad.dojo import micrograd, ninja
from ninjagrad.dojo.exercises import Exercise
from ninjagrad.errors import NinjagradError

EXERCISES = {e.name: e for e in (micrograd.EXERCISE, *ninja.EXERCISES)}


def all_exercises():
    """Every exercise, in the order of the lectures."""
    return list(EXERCISES.values())


def get_exercise(name):
    """The exercise called ``name``; a NinjagradError listing the names otherwise."""
    if isinstance(name, Exercise):
        return name
    if name not in EXERCISES:
        raise NinjagradError(f"unknown exercise {name!r}; the exercises are: "
                             f"{', '.join(EXERCISES)} (see `ninjagrad exercise list`)")
    return EXERCISES[name]
