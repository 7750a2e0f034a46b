"""Importers: other tools' files become ride scenes (text a person would have written).

An importer reads a file and returns a scene's text and the warnings about what ride cannot do;
it never renders. `ride import deforum SETTINGS` is the command (ride/cli/import_.py).
"""
