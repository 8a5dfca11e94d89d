"""argmine: an argument-mining pipeline for policy texts.

The stages run in order, each reading the JSON Lines of the one before:
segment -> entities -> claims -> themes -> report.
"""

__version__ = "0.1.0"
