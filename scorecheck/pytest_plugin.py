"""pytest plugin entry point (`pytest --score-entry score.py`); inert until its option is given."""
