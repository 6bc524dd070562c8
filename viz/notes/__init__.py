"""The notes beside the figures, written from the numbers: "what to notice" and what an experiment found.

A figure module draws; the module of the same name here writes about what it drew (viz.compare ->
viz.notes.compare, viz.gradflow -> viz.notes.gradflow, viz.training -> viz.notes.training).
"""
