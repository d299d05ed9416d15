"""The ``tailorwise`` command line: thin commands over the library."""
