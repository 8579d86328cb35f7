"""The package's version.  Its major number must equal the loaded library's
(ml_version_number() // 10000): the shared library's SONAME changes only
with the major version, and so does this package."""

__version__ = "0.1.0"
