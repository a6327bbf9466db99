"""Wagtail pages edited by librarians: home, standard pages, navigation, footer, site search."""
