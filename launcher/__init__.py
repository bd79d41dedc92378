"""Tooling around the services: the `trustone` command, the embedded runner and the demo loader."""
