"""Telling a person something happened: on their open pages, and (by their preferences) by Web Push or e-mail."""
