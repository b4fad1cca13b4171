"""fakedetect: is an influencer's audience and engagement real?

Importing the package is cheap on purpose: no heavy libraries are loaded and nothing
touches the disk until a function is called.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
